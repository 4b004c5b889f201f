import Testing
@testable import Tensors

@Suite("BLAS wrapper")
struct BLASWrapperTests {
    /// With beta = 0 the wrapper clears C itself: stale contents (NaN here) never leak into the
    /// product, for a strided C and for the column blocks of a 2-thread split.
    @Test(arguments: [1, 2])
    func betaZeroOverwritesStaleOutput(threads: Int) {
        ComputeThreads.with(threads) { check() }
    }

    private func check() {
        let (m, n, k, ldc) = (20, 600, 400, 611)  // 9.6 MFLOP and m < n: split by columns on 2 threads
        let a = random([m, k], seed: 95).scalars, b = random([k, n], seed: 96).scalars
        var c = [Float](repeating: .nan, count: m * ldc)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                               b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var exact: Double = 0
                for p in 0..<k { exact += Double(a[i * k + p]) * Double(b[p * n + j]) }
                worst = Swift.max(worst, Swift.abs(c[i * ldc + j] - Float(exact)))
            }
            let untouched = c[(i * ldc + n)..<((i + 1) * ldc)].allSatisfy { $0.isNaN }
            #expect(untouched, "row \(i): padding beyond n was written")
        }
        #expect(worst < 1e-3)
    }
}
