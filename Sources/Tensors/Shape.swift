/// Shape arithmetic shared by the ops: element counts, strides, NumPy broadcasting, axis checks.
extension Array where Element == Int {
    /// The number of elements a tensor of this shape holds.
    @inlinable var product: Int { reduce(1, *) }

    /// Row-major strides (in elements) of a contiguous tensor of this shape.
    var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var s = 1
        for axis in indices.reversed() { strides[axis] = s; s *= self[axis] }
        return strides
    }
}

/// Stops with a message that names the op and the shapes involved. Shape mistakes are
/// programming errors, like an out-of-range array index.
func shapeError(_ op: String, _ a: [Int], _ b: [Int], _ reason: String) -> Never {
    fatalError("\(op): \(reason) (shapes \(a) and \(b))")
}

/// NumPy broadcasting: align trailing axes; each pair must be equal or contain a 1.
func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { shapeError(op, a, b, "shapes are not broadcastable") }
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Strides that read a tensor of `shape` as if broadcast to `target` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = shape.contiguousStrides
    let lead = target.count - shape.count
    return (0..<target.count).map { i in
        i < lead || shape[i - lead] == 1 ? 0 : own[i - lead]
    }
}

/// Resolves a possibly negative axis (`-1` is the last) and checks it is in range.
func normalizeAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < Swift.max(rank, 1) else { fatalError("\(op): axis \(axis) is out of range for rank \(rank)") }
    return a
}
