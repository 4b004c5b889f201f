import Foundation

/// Elementwise mathematical functions. Backward rules: `Backward`.
extension Tensor {
    /// eˣ.
    public func exp() -> Tensor {
        let out = unaryMap(self, Kernel.Exp())
        return out.recording("exp", [self]) { g, _ in [g * out.detached()] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        unaryMap(self, Kernel.Log()).recording("log", [self]) { [self] g, _ in [g / self.detached()] }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = unaryMap(self) { $0.squareRoot() }
        return out.recording("sqrt", [self]) { g, _ in [g / (out.detached() * 2)] }
    }

    /// xᵖ for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        unaryMap(self) { Foundation.pow($0, p) }.recording("pow", [self]) { [self] g, _ in
            [g * unaryMap(self) { p * Foundation.pow($0, p - 1) }]
        }
    }

    /// xʸ elementwise with broadcasting; ∂/∂y uses log x, so y's gradient needs x > 0.
    public func pow(_ exponent: Tensor) -> Tensor {
        let out = binaryMap(self, exponent, op: "pow") { Foundation.pow($0, $1) }
        return out.recording("pow", [self, exponent]) { [self] g, n in Backward.pow(g, self, exponent, out.detached(), n) }
    }

    /// |x|; its gradient at 0 is 0, as PyTorch's.
    public func abs() -> Tensor {
        unaryMap(self) { Swift.abs($0) }.recording("abs", [self]) { [self] g, _ in [g * self.sign()] }
    }

    /// −1, 0 or 1 (NaN stays NaN); gradient zero.
    public func sign() -> Tensor {
        unaryMap(self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }.recording("sign", [self]) { g, _ in [Tensor.zeros(like: g)] }
    }

    /// Limits every element to `[low, high]`; the gradient passes where `low ≤ x ≤ high`.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        unaryMap(self) { Swift.min(Swift.max($0, low), high) }.recording("clamp", [self]) { [self] g, _ in
            [g * unaryMap(self) { $0 >= low && $0 <= high ? 1 : 0 }]
        }
    }

    /// Elementwise minimum with broadcasting; ties split the gradient in half (as PyTorch).
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binaryMap(a, b, op: "minimum") { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
            .recording("minimum", [a, b]) { g, n in Backward.select(g, a, b, n, firstWins: { $0 < $1 }) }
    }

    /// Elementwise maximum with broadcasting; ties split the gradient in half (as PyTorch).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binaryMap(a, b, op: "maximum") { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
            .recording("maximum", [a, b]) { g, n in Backward.select(g, a, b, n, firstWins: { $0 > $1 }) }
    }

    /// The square, x².
    public func squared() -> Tensor { self * self }
}
