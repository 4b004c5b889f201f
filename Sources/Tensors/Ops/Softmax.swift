import Foundation

/// Softmax and log-softmax along one axis, stabilised by subtracting the maximum.
extension Tensor {
    /// exp(x − max) / Σ exp(x − max) along `axis`. Gradient: y ⊙ (g − Σ g⊙y).
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "softmax")
        let out = softmaxKernel(axis: a, log: false)
        return out.recording("softmax", [self]) { g, _ in
            let y = out.detached()
            return [y * (g - (g * y).sum(alongAxis: a, keepingDimensions: true))]
        }
    }

    /// x − max − log Σ exp(x − max) along `axis`. Gradient: g − softmax ⊙ Σ g.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "logSoftmax")
        let out = softmaxKernel(axis: a, log: true)
        return out.recording("logSoftmax", [self]) { g, _ in
            [g - out.detached().exp() * g.sum(alongAxis: a, keepingDimensions: true)]
        }
    }

    private func softmaxKernel(axis: Int, log: Bool) -> Tensor {
        let (outer, n, inner) = split(around: axis)
        return Tensor.build(shape) { out in
            storage.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                parallelChunks(outer * inner, costPerItem: n * 8) { lanes in
                    for lane in lanes {
                        let (o, i) = (lane / inner, lane % inner)
                        let x = px + o * n * inner + i, y = out + o * n * inner + i
                        var m = -Float.infinity
                        for r in 0..<n where x[r * inner] > m || x[r * inner].isNaN { m = x[r * inner] }
                        if !m.isFinite && !m.isNaN { m = 0 }
                        var total: Double = 0
                        for r in 0..<n { total += Double(Foundation.exp(x[r * inner] - m)) }
                        if log {
                            let logTotal = Float(Foundation.log(total))
                            for r in 0..<n { y[r * inner] = (x[r * inner] - m) - logTotal }
                        } else {
                            let scale = Float(1 / total)
                            for r in 0..<n { y[r * inner] = Foundation.exp(x[r * inner] - m) * scale }
                        }
                    }
                }
            }
        }
    }
}
