import CBLAS
import Synchronization

/// Thin wrappers over OpenBLAS's CBLAS interface.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ. A is m×k after op, B is k×n.
    @inline(__always)
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = ComputeThreads.count  // make sure OpenBLAS got the thread setting
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    private static let serialDepth = Mutex<Int>(0)

    /// Runs `body` with OpenBLAS single-threaded, for regions where the engine itself runs one
    /// GEMM per worker thread (convolution over images). Restores the setting afterwards.
    static func singleThreaded<R>(_ body: () -> R) -> R {
        let threads = ComputeThreads.count
        if threads == 1 { return body() }
        serialDepth.withLock { depth in
            if depth == 0 { openblas_set_num_threads(1) }
            depth += 1
        }
        defer {
            serialDepth.withLock { depth in
                depth -= 1
                if depth == 0 { openblas_set_num_threads(Int32(ComputeThreads.count)) }
            }
        }
        return body()
    }
}
