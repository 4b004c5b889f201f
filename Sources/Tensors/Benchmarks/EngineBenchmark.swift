import CBLAS
/// `mtk bench engine`: the engine against raw OpenBLAS on the same machine and thread count.
///
/// - `matmul`: `Tensor.matmul` (output allocation included) versus `cblas_sgemm` into a
///   preallocated buffer, square n×n, 2n³ flops per call.
/// - `conv_layer`: forward + backward of the reference CNN's convolutions at batch 128
///   (conv 1→32 3×3 pad 1 on 28×28, weight and bias gradients only, as for a first layer;
///   conv 32→64 3×3 pad 1 on 14×14, also the input gradient), reported as useful GEMM flops per
///   second next to raw sgemm's rate at n = 1024 on the same threads.
public enum EngineBenchmark {
    public struct Record: Sendable, Codable {
        public var workload: String
        public var threads: Int
        public var n: Int?
        public var layer: String?
        public var batch: Int?
        public var gflop_per_call: Double
        public var engine_gflops: Double
        public var engine_gflops_median: Double
        public var raw_gflops: Double
        public var raw_gflops_median: Double
        /// engine_gflops / raw_gflops (best against best).
        public var ratio: Double
        public var target_ratio: Double?
        /// The OpenBLAS core in use (`openblas_get_corename`), e.g. "Cooperlake" or a generic "Prescott".
        public var blas_core: String
    }

    /// Raw `cblas_sgemm` timing for square n (buffers allocated once), with OpenBLAS's own threads.
    public static func rawSgemm(n: Int, minSeconds: Double) -> Timing {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.uniform([n, n], low: -0.5, high: 0.5, using: &rng).scalars
        let b = Tensor.uniform([n, n], low: -0.5, high: 0.5, using: &rng).scalars
        var c = [Float](repeating: 0, count: n * n)
        var timing: Timing!
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.rawThreaded(threads: ComputeThreads.count) {
                        timing = Timing.measure(minSeconds: minSeconds) {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                        pa.baseAddress!, Int32(n), pb.baseAddress!, Int32(n), 0, pc.baseAddress!, Int32(n))
                        }
                    }
                }
            }
        }
        return timing
    }

    public static func matmul(n: Int, threads: Int, minSeconds: Double) -> Record {
        ComputeThreads.with(threads) { matmulScoped(n: n, threads: threads, minSeconds: minSeconds) }
    }

    private static func matmulScoped(n: Int, threads: Int, minSeconds: Double) -> Record {
        var rng = RandomGenerator(seed: 2)
        let a = Tensor.uniform([n, n], low: -0.5, high: 0.5, using: &rng)
        let b = Tensor.uniform([n, n], low: -0.5, high: 0.5, using: &rng)
        let gflop = 2 * pow3(n) / 1e9
        let raw = (gflop, rawSgemm(n: n, minSeconds: minSeconds))
        let engine = Timing.measure(minSeconds: minSeconds) { _ = Tensor.matmul(a, b) }
        return record("matmul", threads, gflop, engine, raw, target: n >= 512 ? 0.9 : nil) { $0.n = n }
    }

    /// The two convolutions of the reference CNN, forward and backward, at `batch`.
    public static func convLayers(threads: Int, batch: Int = 128, minSeconds: Double) -> [Record] {
        ComputeThreads.with(threads) { convLayersScoped(threads: threads, batch: batch, minSeconds: minSeconds) }
    }

    private static func convLayersScoped(threads: Int, batch: Int, minSeconds: Double) -> [Record] {
        let raw = (2 * pow3(1024) / 1e9, rawSgemm(n: 1024, minSeconds: minSeconds))
        var rng = RandomGenerator(seed: 3)
        let layers: [(name: String, input: [Int], weight: [Int], inputGradient: Bool)] = [
            ("conv1", [batch, 1, 28, 28], [32, 1, 3, 3], false),
            ("conv2", [batch, 32, 14, 14], [64, 32, 3, 3], true),
        ]
        var records: [Record] = []
        var totalFlop = 0.0, totalTime = (best: 0.0, median: 0.0)
        for layer in layers {
            let x = Tensor.uniform(layer.input, using: &rng)
            let w = Tensor.uniform(layer.weight, low: -0.1, high: 0.1, using: &rng)
            let b = Tensor.zeros([layer.weight[0]])
            let (cout, k, spatial) = (layer.weight[0], layer.weight[1] * 9, layer.input[2] * layer.input[3])
            let gemms = layer.inputGradient ? 3.0 : 2.0  // forward, weight gradient, input gradient
            let gflop = gemms * 2 * Double(batch * cout * k * spatial) / 1e9
            let seed = Tensor.uniform([batch, cout, layer.input[2], layer.input[3]], low: -1, high: 1, using: &rng)
            let timing = Timing.measure(minSeconds: minSeconds) {
                let (xl, wl, bl) = (layer.inputGradient ? x.requiringGradient() : x, w.requiringGradient(), b.requiringGradient())
                let y = Tensor.conv2d(xl, weight: wl, bias: bl, padding: 1)
                _ = y.gradients(wrt: layer.inputGradient ? [xl, wl, bl] : [wl, bl], seed: seed)
            }
            totalFlop += gflop
            totalTime.best += timing.best
            totalTime.median += timing.median
            records.append(record("conv_layer", threads, gflop, timing, raw, target: nil) { $0.layer = layer.name; $0.batch = batch })
        }
        let combined = Timing(runs: 0, best: totalTime.best, median: totalTime.median)
        records.append(record("conv_layer", threads, totalFlop, combined, raw, target: 0.5) { $0.layer = "conv1+conv2"; $0.batch = batch })
        return records
    }

    private static func pow3(_ n: Int) -> Double { Double(n) * Double(n) * Double(n) }

    private static func record(_ workload: String, _ threads: Int, _ gflop: Double, _ engine: Timing, _ raw: (gflop: Double, timing: Timing),
                               target: Double?, _ fill: (inout Record) -> Void) -> Record {
        var r = Record(workload: workload, threads: threads, gflop_per_call: round(gflop),
                       engine_gflops: round(gflop / engine.best), engine_gflops_median: round(gflop / engine.median),
                       raw_gflops: round(raw.gflop / raw.timing.best), raw_gflops_median: round(raw.gflop / raw.timing.median),
                       ratio: round((gflop / engine.best) / (raw.gflop / raw.timing.best)), target_ratio: target,
                       blas_core: BLASCore.coreInUse())
        fill(&r)
        return r
    }

    private static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
