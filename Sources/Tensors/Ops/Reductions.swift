import Foundation

/// Reductions over axes, with or without keeping the reduced axes as size 1. Sums accumulate in
/// Double, so a sum over many elements stays accurate to Float precision.
extension Tensor {
    /// Sum over `axes` (all axes when empty).
    public func sum(alongAxes axes: [Int] = [], keepingDimensions keep: Bool = false) -> Tensor {
        let axes = resolvedAxes(axes, op: "sum")
        let out = reduce(axes: axes, keep: keep) { x, axis in x.sumAxis(axis) }
        let source = shape
        return out.recording("sum", [self]) { g, _ in [g.reshaped(Tensor.keptShape(source, axes)).expanded(to: source)] }
    }

    /// Sum over one axis.
    public func sum(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keep)
    }

    /// Mean over `axes` (all axes when empty).
    public func mean(alongAxes axes: [Int] = [], keepingDimensions keep: Bool = false) -> Tensor {
        let n = resolvedAxes(axes, op: "mean").map { shape[$0] }.product
        return sum(alongAxes: axes, keepingDimensions: keep) / Float(n)
    }

    /// Mean over one axis.
    public func mean(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keep)
    }

    /// Maximum over `axes` (all when empty); NaN propagates. The gradient is shared equally by
    /// tied maxima (as `torch.amax`).
    public func max(alongAxes axes: [Int] = [], keepingDimensions keep: Bool = false) -> Tensor {
        extreme(axes, keep: keep, op: "max") { $0 > $1 }
    }

    /// Minimum over `axes` (all when empty); NaN propagates; ties share the gradient.
    public func min(alongAxes axes: [Int] = [], keepingDimensions keep: Bool = false) -> Tensor {
        extreme(axes, keep: keep, op: "min") { $0 < $1 }
    }

    /// Index of the first maximum along `axis`, as Float values (exact below 2²⁴).
    public func argmax(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank, op: "argmax")
        let (_, index) = extremeAxis(axis, wantIndex: true) { $0 > $1 }
        return keep ? index : index.reshaped(Tensor.droppedShape(shape, [axis]))
    }

    /// Variance over `axes` (all when empty) with Bessel's `correction` (1 = unbiased, PyTorch's
    /// default; 0 = population). Two-pass: Σ(x − mean)² / (n − correction).
    public func variance(alongAxes axes: [Int] = [], correction: Int = 1, keepingDimensions keep: Bool = false) -> Tensor {
        let axes = resolvedAxes(axes, op: "variance")
        let n = axes.map { shape[$0] }.product
        let divisor = Float(Swift.max(n - correction, 0))
        let centered = withoutGradients { self.detached() - self.detached().mean(alongAxes: axes, keepingDimensions: true) }
        let out = withoutGradients { (centered * centered).sum(alongAxes: axes, keepingDimensions: keep) / divisor }
        let kept = Tensor.keptShape(shape, axes)
        return out.recording("variance", [self]) { g, _ in [g.reshaped(kept) * centered * (2 / divisor)] }
    }

    /// log Σ exp(x) over `axes` (all when empty), shifted by the maximum for stability.
    /// Gradient: softmax(x) · g.
    public func logSumExp(alongAxes axes: [Int] = [], keepingDimensions keep: Bool = false) -> Tensor {
        let axes = resolvedAxes(axes, op: "logSumExp")
        let x = detached()
        let outKept = withoutGradients {
            let m = unaryMap(x.max(alongAxes: axes, keepingDimensions: true)) { $0.isFinite ? $0 : 0 }
            return (x - m).exp().sum(alongAxes: axes, keepingDimensions: true).log() + m
        }
        let out = keep ? outKept : outKept.reshaped(Tensor.droppedShape(shape, axes))
        return out.recording("logSumExp", [self]) { g, _ in
            [g.reshaped(outKept.shape) * (x - outKept).exp()]
        }
    }

    // MARK: - Machinery

    /// Sorted, validated axes; all axes when `axes` is empty.
    func resolvedAxes(_ axes: [Int], op: String) -> [Int] {
        if axes.isEmpty { return Array(0..<rank) }
        let resolved = Set(axes.map { normalizeAxis($0, rank: rank, op: op) }).sorted()
        guard resolved.count == axes.count else { fatalError("\(op): repeated axis in \(axes)") }
        return resolved
    }

    static func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    }

    static func droppedShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Applies a one-axis reduction (keeping the axis) to each axis, last first, then drops them.
    private func reduce(axes: [Int], keep: Bool, _ one: (Tensor, Int) -> Tensor) -> Tensor {
        var x = self.detached()
        // Merge each run of adjacent reduced axes into one axis so it is reduced in one pass.
        var runs: [[Int]] = []
        for a in axes { if let last = runs.last?.last, last == a - 1 { runs[runs.count - 1].append(a) } else { runs.append([a]) } }
        for run in runs.reversed() {
            let merged = Array(x.shape[..<run[0]]) + [run.map { x.shape[$0] }.product] + Array(x.shape[(run.last! + 1)...])
            x = one(x.reshaped(merged), run[0])
            x = x.reshaped(Array(x.shape[..<run[0]]) + [Int](repeating: 1, count: run.count) + Array(x.shape[(run[0] + 1)...]))
        }
        return keep ? x : x.reshaped(Tensor.droppedShape(shape, axes))
    }

    /// Views the shape as [outer, n, inner] around `axis`.
    func split(around axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (Array(shape[..<axis]).product, shape[axis], Array(shape[(axis + 1)...]).product)
    }

    /// Sum along one axis, kept as size 1; Double accumulators.
    func sumAxis(_ axis: Int) -> Tensor {
        let (outer, n, inner) = split(around: axis)
        var outShape = shape
        outShape[axis] = 1
        return Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                parallelChunks(outer, costPerItem: n * inner) { range in
                    if inner == 1 {
                        for o in range {
                            var acc: Double = 0
                            let row = px + o * n
                            for r in 0..<n { acc += Double(row[r]) }
                            out[o] = Float(acc)
                        }
                    } else {
                        var acc = [Double](repeating: 0, count: inner)
                        for o in range {
                            for i in 0..<inner { acc[i] = 0 }
                            acc.withUnsafeMutableBufferPointer { acc in
                                let acc = acc.baseAddress!
                                for r in 0..<n {
                                    let row = px + (o * n + r) * inner
                                    for i in 0..<inner { acc[i] += Double(row[i]) }
                                }
                                for i in 0..<inner { out[o * inner + i] = Float(acc[i]) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Max or min along one axis (kept as size 1) and, on request, the index of the first extreme.
    func extremeAxis(_ axis: Int, wantIndex: Bool, better: (Float, Float) -> Bool) -> (Tensor, Tensor) {
        let (outer, n, inner) = split(around: axis)
        guard n > 0 else { fatalError("max/min/argmax: cannot reduce an empty axis \(axis) of shape \(shape)") }
        var outShape = shape
        outShape[axis] = 1
        var index = Tensor.zeros(wantIndex ? outShape : [0])
        let values = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                index.storage.withUnsafeMutableBufferPointer { pi in
                    let px = px.baseAddress!, pi = wantIndex ? pi.baseAddress : nil
                    for o in 0..<outer {
                        for i in 0..<inner {
                            var best = px[o * n * inner + i], at = 0
                            if !best.isNaN {
                                for r in 1..<Swift.max(n, 1) {
                                    let v = px[(o * n + r) * inner + i]
                                    if v.isNaN { best = v; at = r; break }
                                    if better(v, best) { best = v; at = r }
                                }
                            }
                            out[o * inner + i] = best
                            if let pi { pi[o * inner + i] = Float(at) }
                        }
                    }
                }
            }
        }
        return (values, index)
    }

    private func extreme(_ axes: [Int], keep: Bool, op: String, better: @escaping (Float, Float) -> Bool) -> Tensor {
        let axes = resolvedAxes(axes, op: op)
        let out = reduce(axes: axes, keep: keep) { x, axis in x.extremeAxis(axis, wantIndex: false, better: better).0 }
        let kept = Tensor.keptShape(shape, axes)
        let x = detached()
        return out.recording(op, [self]) { g, _ in
            let mask = x .== out.reshaped(kept)
            let ties = mask.sum(alongAxes: axes, keepingDimensions: true)
            return [g.reshaped(kept) * mask / ties]
        }
    }
}
