/// Slicing, joining, gathering and padding. Each op's gradient is its adjoint: a slice's gradient
/// is padded back with zeros, a concatenation's is sliced apart, a gather's is scatter-added.
extension Tensor {
    /// Elements `range` along `axis` (PyTorch's `narrow`).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "slice")
        guard range.lowerBound >= 0 && range.upperBound <= shape[a] else {
            fatalError("slice: range \(range) is out of bounds for axis \(a) of shape \(shape)")
        }
        if range.count == shape[a] { return self }
        let (outer, n, inner) = split(around: a)
        var outShape = shape
        outShape[a] = range.count
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                let block = range.count * inner
                for o in 0..<outer {
                    (out + o * block).update(from: px.baseAddress! + (o * n + range.lowerBound) * inner, count: block)
                }
            }
        }
        let source = shape
        return out.recording("slice", [self]) { g, _ in
            var widths = source.map { _ in (0, 0) }
            widths[a] = (range.lowerBound, source[a] - range.upperBound)
            return [g.padded(widths)]
        }
    }

    /// The `index`-th entry along the first axis, without that axis.
    public subscript(index: Int) -> Tensor {
        guard rank > 0, index >= 0 && index < shape[0] else { fatalError("subscript: index \(index) is out of range for shape \(shape)") }
        return slice(axis: 0, index..<(index + 1)).squeezed(at: 0)
    }

    /// Joins tensors along an existing axis; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        guard let first = tensors.first else { fatalError("concatenate: no tensors") }
        let a = normalizeAxis(axis, rank: first.rank, op: "concatenate")
        for t in tensors where t.rank != first.rank || t.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
            shapeError("concatenate", first.shape, t.shape, "extents must agree except along axis \(a)")
        }
        var outShape = first.shape
        outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
        let (outer, _, inner) = first.split(around: a)
        let rowBlock = outShape[a] * inner
        let out = Tensor.build(outShape) { out in
            var start = 0
            for t in tensors {
                let block = t.shape[a] * inner
                t.storage.withUnsafeBufferPointer { pt in
                    for o in 0..<outer { (out + o * rowBlock + start).update(from: pt.baseAddress! + o * block, count: block) }
                }
                start += block
            }
        }
        let extents = tensors.map { $0.shape[a] }
        return out.recording("concatenate", tensors) { g, needs in
            var start = 0
            return extents.enumerated().map { i, e in
                defer { start += e }
                return needs[i] ? g.slice(axis: a, start..<(start + e)) : nil
            }
        }
    }

    /// Joins equal-shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        guard let first = tensors.first else { fatalError("stack: no tensors") }
        for t in tensors where t.shape != first.shape { shapeError("stack", first.shape, t.shape, "all tensors must have the same shape") }
        return concatenate(tensors.map { $0.unsqueezed(at: axis) }, axis: axis < 0 ? axis + first.rank + 1 : axis)
    }

    /// Entries `indices` along `axis`, in that order (PyTorch's `index_select`).
    public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "indexSelect")
        let (outer, n, inner) = split(around: a)
        for (k, i) in indices.enumerated() where i < 0 || i >= n {
            fatalError("indexSelect: index \(i) at position \(k) is out of range 0..<\(n) for axis \(a) of shape \(shape)")
        }
        var outShape = shape
        outShape[a] = indices.count
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                for o in 0..<outer {
                    for (k, i) in indices.enumerated() {
                        (out + (o * indices.count + k) * inner).update(from: px.baseAddress! + (o * n + i) * inner, count: inner)
                    }
                }
            }
        }
        let source = shape
        return out.recording("indexSelect", [self]) { g, _ in
            var grad = [Float](repeating: 0, count: source.product)
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    for j in 0..<inner { grad[(o * n + i) * inner + j] += g.storage[(o * indices.count + k) * inner + j] }
                }
            }
            return [Tensor(shape: source, storage: grad)]
        }
    }

    /// `out[..., j, ...] = self[..., indices[..., j, ...], ...]` along `axis` (PyTorch's `gather`):
    /// `indices` holds integer values and has this tensor's rank, with extents no larger except
    /// along `axis`. Typical use: picking each row's target-class logit.
    public func gather(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "gather")
        guard indices.rank == rank, (0..<rank).allSatisfy({ $0 == a || indices.shape[$0] <= shape[$0] }) else {
            shapeError("gather", shape, indices.shape, "indices must have the input's rank and no larger extents off the gather axis")
        }
        let source = shape
        let inStrides = shape.contiguousStrides
        let idxShape = indices.shape
        // Flat source position of every output element.
        var positions = [Int](repeating: 0, count: indices.count)
        var multi = [Int](repeating: 0, count: rank)
        for flat in 0..<indices.count {
            let v = indices.storage[flat]
            guard v == v.rounded(), v >= 0, v < Float(shape[a]) else {  // NaN and ±∞ fail here, before Int(v)
                fatalError("gather: index value \(v) at flat position \(flat) is not an integer in 0..<\(shape[a]) (shape \(shape), indices \(idxShape))")
            }
            var p = 0
            for d in 0..<rank { p += (d == a ? Int(v) : multi[d]) * inStrides[d] }
            positions[flat] = p
            var d = rank - 1
            while d >= 0 { multi[d] += 1; if multi[d] < idxShape[d] { break }; multi[d] = 0; d -= 1 }
        }
        let out = Tensor(shape: idxShape, storage: positions.map { storage[$0] })
        return out.recording("gather", [self]) { [positions] g, _ in
            var grad = [Float](repeating: 0, count: source.product)
            for (k, p) in positions.enumerated() { grad[p] += g.storage[k] }
            return [Tensor(shape: source, storage: grad)]
        }
    }

    /// Constant padding: `widths[i]` = (before, after) elements added along axis i.
    public func padded(_ widths: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        guard widths.count == rank, widths.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            fatalError("padded: need one non-negative (before, after) pair per axis of shape \(shape), got \(widths)")
        }
        let outShape = shape.enumerated().map { $0.element + widths[$0.offset].before + widths[$0.offset].after }
        var out = Tensor.full(outShape, value)
        let outStrides = outShape.contiguousStrides
        let origin = zip(widths, outStrides).map { $0.before * $1 }.reduce(0, +)
        let plan = BroadcastPlan(shape: shape, strides: [outStrides, shape.contiguousStrides])
        out.storage.withUnsafeMutableBufferPointer { po in
            storage.withUnsafeBufferPointer { px in
                for row in 0..<plan.rows {
                    let dst = po.baseAddress! + origin + plan.offset(ofRow: row, operand: 0)
                    let src = px.baseAddress! + plan.offset(ofRow: row, operand: 1)
                    for i in 0..<plan.inner { dst[i * plan.innerStrides[0]] = src[i * plan.innerStrides[1]] }
                }
            }
        }
        let ranges = zip(shape, widths).map { $1.before..<($1.before + $0) }
        return out.recording("pad", [self]) { g, _ in
            var r = g
            for (axis, range) in ranges.enumerated() { r = r.slice(axis: axis, range) }
            return [r]
        }
    }
}
