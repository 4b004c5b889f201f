/// Matrix products through `cblas_sgemm`.
extension Tensor {
    /// op(a) · op(b) over the last two axes, where op transposes when asked; leading (batch) axes
    /// broadcast. A rank-1 operand is treated as a row (a) or column (b) vector and that axis is
    /// dropped from the result, as in NumPy. Cost: 2·m·n·k flops per batch entry.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        if a.rank == 1 { return matmul(a.unsqueezed(at: 0), b, transposeA: false, transposeB: transposeB).squeezed(at: -2) }
        if b.rank == 1 { return matmul(a, b.unsqueezed(at: 1), transposeA: transposeA, transposeB: false).squeezed(at: -1) }
        guard a.rank >= 2 && b.rank >= 2 else { shapeError("matmul", a.shape, b.shape, "operands must have rank ≥ 1") }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (kb, n) = transposeB ? (bc, br) : (br, bc)
        guard k == kb else {
            shapeError("matmul", a.shape, b.shape, "inner dimensions differ (\(k) vs \(kb))\(transposeA || transposeB ? " after transposition" : "")")
        }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = broadcastShapes(batchA, batchB, op: "matmul")
        let out: Tensor
        if batchB.isEmpty && !transposeA {
            // Fold a's batch axes into its rows: one GEMM.
            out = Tensor.build(batch + [m, n]) { c in
                a.storage.withUnsafeBufferPointer { pa in
                    b.storage.withUnsafeBufferPointer { pb in
                        BLAS.sgemm(transA: false, transB: transposeB, m: batch.product * m, n: n, k: k,
                                   a: pa.baseAddress!, lda: ac, b: pb.baseAddress!, ldb: bc, c: c, ldc: n)
                    }
                }
            }
        } else {
            let plan = BroadcastPlan(shape: batch + [1], strides: [broadcastStrides(batchA, to: batch) + [0], broadcastStrides(batchB, to: batch) + [0]])
            out = Tensor.build(batch + [m, n]) { c in
                a.storage.withUnsafeBufferPointer { pa in
                    b.storage.withUnsafeBufferPointer { pb in
                        for i in 0..<batch.product {
                            let (rowIndex, innerIndex) = (i / plan.inner, i % plan.inner)
                            let oa = (plan.offset(ofRow: rowIndex, operand: 0) + innerIndex * plan.innerStrides[0]) * ar * ac
                            let ob = (plan.offset(ofRow: rowIndex, operand: 1) + innerIndex * plan.innerStrides[1]) * br * bc
                            BLAS.sgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                                       a: pa.baseAddress! + oa, lda: ac, b: pb.baseAddress! + ob, ldb: bc, c: c + i * m * n, ldc: n)
                        }
                    }
                }
            }
        }
        return out.recording("matmul", [a, b]) { g, needs in
            Backward.matmul(g, a.detached(), b.detached(), transposeA: transposeA, transposeB: transposeB, needs)
        }
    }
}

extension Backward {
    /// C = op(A)·op(B): dA = g·op(B)ᵀ (or its transpose), dB = op(A)ᵀ·g (or its transpose), each
    /// summed over broadcast batch axes. With a 2-D B and batched A, A and g are folded to 2-D first
    /// so dB is a single GEMM.
    static func matmul(_ g: Tensor, _ a: Tensor, _ b: Tensor, transposeA tA: Bool, transposeB tB: Bool, _ needs: [Bool]) -> [Tensor?] {
        var dA: Tensor?, dB: Tensor?
        if needs[0] {
            dA = tA ? Tensor.matmul(b, g, transposeA: tB, transposeB: true) : Tensor.matmul(g, b, transposeB: !tB)
            dA = dA!.sum(toShape: a.shape)
        }
        if needs[1] {
            var (a2, g2) = (a, g)
            if b.rank == 2 && a.rank > 2 && !tA {
                a2 = a.reshaped([-1, a.shape[a.rank - 1]])
                g2 = g.reshaped([-1, g.shape[g.rank - 1]])
            }
            dB = tB ? Tensor.matmul(g2, a2, transposeA: true, transposeB: tA) : Tensor.matmul(a2, g2, transposeA: !tA)
            dB = dB!.sum(toShape: b.shape)
        }
        return [dA, dB]
    }
}
