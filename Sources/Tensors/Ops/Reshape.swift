/// Reshaping and axis permutation. Reshape shares storage; permute copies to a contiguous layout.
extension Tensor {
    /// The same elements under a new shape; one extent may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let hole = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != hole }.map(\.element).product
            guard known > 0, count % known == 0 else { shapeError("reshaped", shape, newShape, "cannot infer the −1 extent") }
            target[hole] = count / known
        }
        guard target.allSatisfy({ $0 >= 0 }), target.product == count else {
            shapeError("reshaped", shape, newShape, "element counts differ (\(count) vs \(target.product))")
        }
        if target == shape { return self }
        let source = shape
        return Tensor(shape: target, storage: storage).recording("reshape", [self]) { g, _ in [g.reshaped(source)] }
    }

    /// Collapses axes `start...end` into one (PyTorch's `flatten`; default: all but the first).
    public func flattened(from start: Int = 1, through end: Int = -1) -> Tensor {
        let s = normalizeAxis(start, rank: rank, op: "flattened"), e = normalizeAxis(end, rank: rank, op: "flattened")
        guard s <= e else { return self }
        return reshaped(Array(shape[..<s]) + [Array(shape[s...e]).product] + Array(shape[(e + 1)...]))
    }

    /// Inserts an axis of size 1 at `axis` (which may equal the rank).
    public func unsqueezed(at axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        guard a >= 0 && a <= rank else { fatalError("unsqueezed: axis \(axis) is out of range for rank \(rank)") }
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes axes of size 1 (only `axis` when given).
    public func squeezed(at axis: Int? = nil) -> Tensor {
        if let axis {
            let a = normalizeAxis(axis, rank: rank, op: "squeezed")
            guard shape[a] == 1 else { return self }
            var s = shape
            s.remove(at: a)
            return reshaped(s)
        }
        return reshaped(shape.filter { $0 != 1 })
    }

    /// Reorders axes: result axis i is input axis `axes[i]` (PyTorch's `permute`).
    public func permuted(_ axes: [Int]) -> Tensor {
        let axes = axes.map { normalizeAxis($0, rank: rank, op: "permuted") }
        guard axes.count == rank, Set(axes).count == rank else {
            fatalError("permuted: \(axes) is not a permutation of the \(rank) axes of shape \(shape)")
        }
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = shape.contiguousStrides
        let plan = BroadcastPlan(shape: outShape, strides: [axes.map { inStrides[$0] }])
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                let n = plan.inner, s = plan.innerStrides[0]
                parallelChunks(plan.rows, costPerItem: n) { rows in
                    for row in rows {
                        let src = px + plan.offset(ofRow: row, operand: 0), dst = out + row * n
                        if s == 1 { dst.update(from: src, count: n) } else { for i in 0..<n { dst[i] = src[i * s] } }
                    }
                }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return out.recording("permute", [self]) { [inverse] g, _ in [g.permuted(inverse)] }
    }

    /// Swaps two axes (the last two by default: the matrix transpose).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalizeAxis(a, rank: rank, op: "transposed"), normalizeAxis(b, rank: rank, op: "transposed"))
        return permuted(axes)
    }
}
