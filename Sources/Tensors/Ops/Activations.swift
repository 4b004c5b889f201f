import Foundation

/// Activation functions. Each gradient is written from the saved input or output.
extension Tensor {
    /// max(x, 0); NaN stays NaN (as PyTorch). Gradient 0 where x ≤ 0, else 1 (NaN included).
    public func relu() -> Tensor {
        unaryMap(self, Kernel.ReLU()).recording("relu", [self]) { [self] g, _ in
            [binaryMap(g, self, op: "relu backward", Kernel.ReLUBackward())]
        }
    }

    /// x for x > 0, else slope · x (NaN stays NaN); gradient 1 for x > 0, else slope.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        unaryMap(self) { $0 > 0 ? $0 : slope * $0 }.recording("leakyRelu", [self]) { [self] g, _ in
            [binaryMap(g, self, op: "leakyRelu backward") { $1 > 0 ? $0 : slope * $0 }]
        }
    }

    /// 1 / (1 + e⁻ˣ), computed without overflow; gradient σ(1 − σ).
    public func sigmoid() -> Tensor {
        let out = unaryMap(self, Kernel.Sigmoid())
        return out.recording("sigmoid", [self]) { g, _ in
            [binaryMap(g, out.detached(), op: "sigmoid backward", Kernel.SigmoidBackward())]
        }
    }

    /// Hyperbolic tangent; gradient 1 − tanh².
    public func tanh() -> Tensor {
        let out = unaryMap(self, Kernel.Tanh())
        return out.recording("tanh", [self]) { g, _ in
            [binaryMap(g, out.detached(), op: "tanh backward", Kernel.TanhBackward())]
        }
    }

    /// GELU. Exact: x·Φ(x) with Φ the standard normal CDF (PyTorch's default); `approximate`:
    /// the tanh form 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
    public func gelu(approximate: Bool = false) -> Tensor {
        let out = unaryMap(self) { approximate ? Activation.geluTanh($0) : Activation.gelu($0) }
        return out.recording("gelu", [self]) { [self] g, _ in
            [binaryMap(g, self, op: "gelu backward") { $0 * (approximate ? Activation.geluTanhDerivative($1) : Activation.geluDerivative($1)) }]
        }
    }
}

/// Scalar forms of the smooth activations and their derivatives.
enum Activation {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268
    static let sqrt2OverPi: Float = 0.79788456080286536

    @inline(__always) static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * invSqrt2)) }
    @inline(__always) static func geluDerivative(_ x: Float) -> Float {
        0.5 * (1 + erf(x * invSqrt2)) + x * invSqrt2Pi * Foundation.exp(-0.5 * x * x)
    }
    @inline(__always) static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(sqrt2OverPi * (x + 0.044715 * x * x * x)))
    }
    @inline(__always) static func geluTanhDerivative(_ x: Float) -> Float {
        let inner = sqrt2OverPi * (x + 0.044715 * x * x * x)
        let t = Foundation.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrt2OverPi * (1 + 3 * 0.044715 * x * x)
    }
}
