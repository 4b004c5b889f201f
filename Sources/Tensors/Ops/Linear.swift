/// The affine map of a fully connected layer, y = x·Wᵀ + b, as PyTorch's `F.linear`.
extension Tensor {
    /// x [..., in], weight [out, in], bias [out] → [..., out]. The bias is written into the
    /// output first and the GEMM accumulates onto it (one pass). Backward: dx = g·W,
    /// dW = gᵀ·x, db = Σ rows of g — each one GEMM or one reduction.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        guard weight.rank == 2, x.rank >= 1, x.shape[x.rank - 1] == weight.shape[1] else {
            shapeError("linear", x.shape, weight.shape, "input's last axis must equal weight.shape[1] (weight is [out, in])")
        }
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        if let bias, bias.shape != [outFeatures] { shapeError("linear", weight.shape, bias.shape, "bias must be [out]") }
        let rows = x.count / Swift.max(inFeatures, 1)
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        let out = Tensor.build(outShape) { y in
            if let bias {
                bias.storage.withUnsafeBufferPointer { pb in
                    for r in 0..<rows { (y + r * outFeatures).update(from: pb.baseAddress!, count: outFeatures) }
                }
            }
            guard rows > 0 && outFeatures > 0 else { return }
            if inFeatures == 0 { if bias == nil { y.update(repeating: 0, count: rows * outFeatures) }; return }
            x.storage.withUnsafeBufferPointer { px in
                weight.storage.withUnsafeBufferPointer { pw in
                    BLAS.sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                               a: px.baseAddress!, lda: inFeatures, b: pw.baseAddress!, ldb: inFeatures,
                               beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
                }
            }
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return out.recording("linear", inputs) { g, needs in
            let g2 = g.reshaped([rows, outFeatures])
            let dx = needs[0] ? Tensor.matmul(g2, weight.detached()).reshaped(x.shape) : nil
            let dw = needs[1] ? Tensor.matmul(g2, x.detached().reshaped([rows, inFeatures]), transposeA: true) : nil
            let db = needs.count > 2 && needs[2] ? g2.sum(alongAxes: [0]) : nil
            return [dx, dw] + (needs.count > 2 ? [db] : [])
        }
    }
}
