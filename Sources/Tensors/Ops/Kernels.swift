import Foundation

/// The elementwise kernels of the hot ops (arithmetic, activations and their gradients), as types
/// so that `unaryMap` / `binaryMap` specialise on them and run them in parallel.
enum Kernel {
    struct Add: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
    struct Subtract: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
    struct Multiply: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
    struct Divide: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
    /// The second operand (broadcasting copy).
    struct Second: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { b } }
    /// relu's gradient: 0 where x ≤ 0, else g, so a NaN input passes g (PyTorch's `threshold_backward`).
    struct ReLUBackward: BinaryKernel { func callAsFunction(_ g: Float, _ x: Float) -> Float { x <= 0 ? 0 : g } }
    /// sigmoid's gradient from its output y: g·y(1 − y).
    struct SigmoidBackward: BinaryKernel { func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) } }
    /// tanh's gradient from its output y: g(1 − y²).
    struct TanhBackward: BinaryKernel { func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) } }

    struct Negate: UnaryKernel { func callAsFunction(_ x: Float) -> Float { -x } }
    struct AddScalar: UnaryKernel { let s: Float; func callAsFunction(_ x: Float) -> Float { x + s } }
    struct MultiplyScalar: UnaryKernel { let s: Float; func callAsFunction(_ x: Float) -> Float { x * s } }
    struct DivideScalar: UnaryKernel { let s: Float; func callAsFunction(_ x: Float) -> Float { x / s } }
    /// s − x.
    struct SubtractFromScalar: UnaryKernel { let s: Float; func callAsFunction(_ x: Float) -> Float { s - x } }
    struct Exp: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Foundation.exp(x) } }
    struct Log: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
    /// max(x, 0) with NaN kept (as PyTorch): the select tests x ≤ 0, which is false for NaN.
    struct ReLU: UnaryKernel { func callAsFunction(_ x: Float) -> Float { x <= 0 ? 0 : x } }
    /// 1/(1 + e⁻ˣ) without overflow.
    struct Sigmoid: UnaryKernel {
        func callAsFunction(_ x: Float) -> Float {
            x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
        }
    }
    struct Tanh: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) } }
}
