/// + − × ÷ with NumPy broadcasting, against tensors or scalars. Backward rules: `Backward`.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return binaryMap(a, b, op: "add", Kernel.Add()).recording("add", [a, b]) { g, n in Backward.add(g, sa, sb, n) }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return binaryMap(a, b, op: "subtract", Kernel.Subtract()).recording("subtract", [a, b]) { g, n in Backward.subtract(g, sa, sb, n) }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binaryMap(a, b, op: "multiply", Kernel.Multiply()).recording("multiply", [a, b]) { g, n in Backward.multiply(g, a, b, n) }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryMap(a, b, op: "divide", Kernel.Divide()).recording("divide", [a, b]) { g, n in Backward.divide(g, a, b, n) }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        unaryMap(x, Kernel.Negate()).recording("negate", [x]) { g, _ in [-g] }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { unaryMap(a, Kernel.AddScalar(s: s)).recording("add", [a]) { g, _ in [g] } }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor { unaryMap(a, Kernel.SubtractFromScalar(s: s)).recording("subtract", [a]) { g, _ in [-g] } }
    public static func * (a: Tensor, s: Float) -> Tensor { unaryMap(a, Kernel.MultiplyScalar(s: s)).recording("multiply", [a]) { g, _ in [g * s] } }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { unaryMap(a, Kernel.DivideScalar(s: s)).recording("divide", [a]) { g, _ in [g / s] } }
    public static func / (s: Float, a: Tensor) -> Tensor {
        unaryMap(a) { s / $0 }.recording("divide", [a]) { g, _ in [g * unaryMap(a) { -s / ($0 * $0) }] }
    }

    /// Adds `rhs` (broadcast to this shape) in place when the storage is not shared: gradient
    /// accumulation without a new allocation. Not recorded by autograd unless either side is.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        if lhs.shape == rhs.shape && lhs.node == nil && rhs.node == nil {
            let count = lhs.count
            lhs.storage.withUnsafeMutableBufferPointer { l in
                rhs.storage.withUnsafeBufferPointer { r in
                    let l = l.baseAddress!, r = r.baseAddress!
                    parallelChunks(count, costPerItem: 2) { range in for i in range { l[i] += r[i] } }
                }
            }
        } else {
            let sum = lhs + rhs
            guard sum.shape == lhs.shape else { shapeError("+=", lhs.shape, rhs.shape, "the right side must broadcast to the left side's shape") }
            lhs = sum
        }
    }

    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs += -rhs }
    public static func *= (lhs: inout Tensor, s: Float) { lhs = lhs * s }
}
