/// Tensors made from nothing but a shape and a value.
extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        for d in shape where d < 0 { fatalError("full: negative extent in shape \(shape)") }
        return Tensor(shape: shape, storage: [Float](repeating: value, count: shape.product))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// A tensor of zeros shaped like `other`.
    public static func zeros(like other: Tensor) -> Tensor { full(other.shape, 0) }

    /// `[start, start + step, ...]` below `end` (above it when `step < 0`), as NumPy's `arange`.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        guard step != 0 else { fatalError("arange: step must be non-zero") }
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor([Float]((0..<n).map { start + Float($0) * step }))
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int) -> Tensor {
        var t = zeros([n, n])
        for i in 0..<n { t.storage[i * n + i] = 1 }
        return t
    }

    /// Rows of one-hot vectors: `labels.count × classes`, row i has a 1 at column `labels[i]`.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var t = zeros([labels.count, classes])
        for (i, label) in labels.enumerated() {
            guard label >= 0 && label < classes else { fatalError("oneHot: label \(label) at position \(i) is outside 0..<\(classes)") }
            t.storage[i * classes + label] = 1
        }
        return t
    }
}
