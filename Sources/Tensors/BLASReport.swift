import Foundation

/// `mtk doctor`: the BLAS setup (build, core, where `OPENBLAS_CORETYPE` came from, CPU features)
/// and a short raw `cblas_sgemm` measurement, with a verdict.
package struct BLASReport: Sendable, Codable {
    package struct Rate: Sendable, Codable {
        package var threads: Int
        package var gflops: Double
        package var gflopsMedian: Double
        enum CodingKeys: String, CodingKey { case threads, gflops, gflopsMedian = "gflops_median" }
    }

    package var openblasConfig: String
    package var openblasVersion: String?
    package var core: String
    /// "openblas" (auto-detected), "user" or "mtk-reexec".
    package var coretypeSource: String
    package var coretypeVariable: String?
    /// The core OpenBLAS had picked before mtk re-executed itself.
    package var reexecFrom: String?
    package var cpu: BLASCore.CPUFeatures
    package var recommendedCore: String?
    package var threadsDefault: Int
    package var sgemmSize: Int
    package var sgemm: [Rate]
    /// "ok" or "slow: generic kernels".
    package var verdict: String
    package var notes: [String]

    enum CodingKeys: String, CodingKey {
        case openblasConfig = "openblas_config", openblasVersion = "openblas_version", core = "blas_core"
        case coretypeSource = "coretype_source", coretypeVariable = "openblas_coretype", reexecFrom = "reexec_from"
        case cpu, recommendedCore = "recommended_core", threadsDefault = "threads_default"
        case sgemmSize = "sgemm_n", sgemm, verdict, notes
    }

    /// Gathers the facts and times square sgemm of size `n` for about `seconds` on 1 thread and on
    /// the default thread count.
    package static func gather(n: Int = 1024, seconds: Double = 0.5) -> BLASReport {
        let environment = ProcessInfo.processInfo.environment
        let core = BLASCore.coreInUse(environment: environment)
        let features = BLASCore.detectFeatures()
        let variable = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let reexecFrom = environment[BLASCore.guardVariable]
        let source = variable == nil ? "openblas" : reexecFrom != nil ? "mtk-reexec" : "user"
        let config = BLASCore.openBLASConfig
        let words = config.split(separator: " ")
        let version = words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : nil
        let threads = ComputeThreads.processDefault
        let rates = (threads > 1 ? [1, threads] : [1]).map { t in
            let timing = ComputeThreads.with(t) { EngineBenchmark.rawSgemm(n: n, minSeconds: seconds) }
            let gflop = 2 * Double(n) * Double(n) * Double(n) / 1e9
            return Rate(threads: t, gflops: round1(gflop / timing.best), gflopsMedian: round1(gflop / timing.median))
        }
        let decision = BLASCore.decide(coreName: core, features: features, environment: environment)
        return BLASReport(
            openblasConfig: config, openblasVersion: version, core: core, coretypeSource: source, coretypeVariable: variable,
            reexecFrom: reexecFrom, cpu: features, recommendedCore: features.recommendedCore, threadsDefault: threads,
            sgemmSize: n, sgemm: rates, verdict: BLASCore.isFallback(core, on: features) ? "slow: generic kernels" : "ok",
            notes: notes(decision, core: core, better: features.recommendedCore, variable: variable, reexecFrom: reexecFrom, environment: environment))
    }

    private static func notes(_ decision: BLASCore.Decision, core: String, better: String?, variable: String?, reexecFrom: String?,
                              environment: [String: String]) -> [String] {
        var notes: [String] = []
        if let from = reexecFrom, decision == .ok {
            notes.append("OpenBLAS had picked its generic \(from) kernels; mtk re-executed itself once with OPENBLAS_CORETYPE=\(variable ?? "?").")
        }
        if case .keepUserChoice(let value) = decision, let better {
            notes.append("OPENBLAS_CORETYPE=\(value) was set by you and is left alone, but it selects generic, slow kernels "
                + "on this CPU. Unset it, or export OPENBLAS_CORETYPE=\(better).")
        }
        if let warning = BLASCore.warning(for: decision, core: core, environment: environment) { notes.append(warning) }
        return notes
    }

    private static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    /// The plain-text report, one fact per line.
    package var text: String {
        let c = cpu
        let flags: [(String, Bool)] = [
            ("AVX", c.avx), ("AVX2", c.avx2), ("FMA", c.fma), ("AVX512F", c.avx512f), ("AVX512BW", c.avx512bw),
            ("AVX512DQ", c.avx512dq), ("AVX512VL", c.avx512vl), ("AVX512_BF16", c.avx512bf16),
        ]
        let present = flags.filter(\.1).map(\.0)
        let os = "OS saves AVX state: \(c.osAVX ? "yes" : "no"), AVX-512 state: \(c.osAVX512 ? "yes" : "no")"
        let source = switch coretypeSource {
        case "user": "set by you (OPENBLAS_CORETYPE=\(coretypeVariable ?? ""))"
        case "mtk-reexec": "set by mtk's re-exec (OPENBLAS_CORETYPE=\(coretypeVariable ?? ""), OpenBLAS had picked \(reexecFrom ?? "?"))"
        default: "auto-detected by OpenBLAS (OPENBLAS_CORETYPE unset)"
        }
        var lines = [
            "OpenBLAS          \(openblasVersion ?? "?")  (\(openblasConfig))",
            "core in use       \(core)",
            "core chosen       \(source)",
            "CPU features      \(present.isEmpty ? "none of AVX/AVX2/FMA/AVX-512" : present.joined(separator: " ")) (\(os))",
            "recommended core  \(recommendedCore ?? "none beyond OpenBLAS's own choice")",
            "threads default   \(threadsDefault)",
        ]
        for rate in sgemm {
            lines.append("sgemm n=\(sgemmSize), \(rate.threads) thread\(rate.threads == 1 ? " " : "s")  \(rate.gflops) GFLOP/s best, \(rate.gflopsMedian) median")
        }
        lines.append("verdict           \(verdict)")
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }
}
