import CBLAS

/// Thin wrappers over OpenBLAS's CBLAS interface.
///
/// OpenBLAS always runs single-threaded here: a large product is split into row (or column) blocks
/// across the engine's own workers, one single-threaded GEMM each. A second thread pool would spin
/// while the engine's workers run (on a 2-core machine that costs a fifth of a training step), and
/// the fixed partition keeps results bit-identical for a fixed thread count.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ. A is m×k after op, B is k×n.
    /// `parallel: false` inside regions that already run one GEMM per worker.
    @inline(__always)
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        _ = BLASCore.checkedOnce  // one-time warning if OpenBLAS runs generic kernels (BLASCore)
        let threads = parallel ? ComputeThreads.count : 1
        let flops = 2 * m * n * k
        guard threads > 1 && flops >= 4_000_000 && Swift.max(m, n) >= 2 * threads else {
            call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // Split the longer side of C into one block per worker.
        let splitRows = m >= n
        let length = splitRows ? m : n
        let (a0, b0) = (UncheckedSendable(a), UncheckedSendable(b))
        _ = parallelWorkers(length) { _, range in
            if splitRows {
                let aBlock = transA ? a0.value + range.lowerBound : a0.value + range.lowerBound * lda
                call(transA, transB, range.count, n, k, alpha, aBlock, lda, b0.value, ldb, beta, c + range.lowerBound * ldc, ldc)
            } else {
                let bBlock = transB ? b0.value + range.lowerBound * ldb : b0.value + range.lowerBound
                call(transA, transB, m, range.count, k, alpha, a0.value, lda, bBlock, ldb, beta, c + range.lowerBound, ldc)
            }
        }
    }

    @inline(__always)
    private static func call(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        guard m > 0 && n > 0 else { return }
        // OpenBLAS clears C for beta = 0 with a slow scalar pass (a tenth of a 100×784 GEMM's
        // time); a memset and beta = 1 give the same result.
        var beta = beta
        if beta == 0 {
            if ldc == n { c.update(repeating: 0, count: m * n) } else { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            beta = 1
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Raw `cblas_sgemm` with OpenBLAS's own threading at `threads`: the benchmark's reference side.
    static func rawThreaded(threads: Int, _ body: () -> Void) {
        openblas_set_num_threads(Int32(threads))
        body()
        openblas_set_num_threads(1)
    }
}
