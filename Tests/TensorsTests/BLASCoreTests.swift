import CBLAS
import Foundation
import Testing
@testable import Tensors

@Suite("BLAS core check")
struct BLASCoreTests {
    typealias Features = BLASCore.CPUFeatures

    /// AVX + AVX2 + FMA with the YMM state enabled by the OS: a Haswell-class CPU.
    static let haswellCPU: Features = {
        var f = Features()
        (f.avx, f.avx2, f.fma, f.osAVX) = (true, true, true, true)
        return f
    }()

    static func avx512CPU(bf16: Bool, osZMM: Bool = true) -> Features {
        var f = haswellCPU
        (f.avx512f, f.avx512bw, f.avx512dq, f.avx512vl, f.avx512bf16, f.osAVX512) = (true, true, true, true, bf16, osZMM)
        return f
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, core: String, cpu: Features, env: [String: String], expected: BLASCore.Decision
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "Prescott on AVX-512 + BF16", core: "Prescott", cpu: avx512CPU(bf16: true), env: [:],
             expected: .reexec(coreType: "Cooperlake")),
        Case(name: "Prescott on AVX-512 without BF16", core: "Prescott", cpu: avx512CPU(bf16: false), env: [:],
             expected: .reexec(coreType: "SkylakeX")),
        Case(name: "Prescott on a Haswell-class CPU", core: "Prescott", cpu: haswellCPU, env: [:],
             expected: .reexec(coreType: "Haswell")),
        Case(name: "AVX-512 but the OS does not save ZMM state", core: "Prescott", cpu: avx512CPU(bf16: true, osZMM: false),
             env: [:], expected: .reexec(coreType: "Haswell")),
        Case(name: "user-set slow core is never overridden", core: "Prescott", cpu: avx512CPU(bf16: true),
             env: ["OPENBLAS_CORETYPE": "Prescott"], expected: .keepUserChoice("Prescott")),
        Case(name: "user-set unknown name, OpenBLAS fell back", core: "Prescott", cpu: haswellCPU,
             env: ["OPENBLAS_CORETYPE": "Bogus"], expected: .keepUserChoice("Bogus")),
        Case(name: "empty OPENBLAS_CORETYPE counts as unset", core: "Prescott", cpu: haswellCPU,
             env: ["OPENBLAS_CORETYPE": ""], expected: .reexec(coreType: "Haswell")),
        Case(name: "guard set and still generic: warn, never loop", core: "Prescott", cpu: avx512CPU(bf16: true),
             env: ["OPENBLAS_CORETYPE": "Cooperlake", BLASCore.guardVariable: "Prescott"], expected: .warn(recommended: "Cooperlake")),
        Case(name: "guard set and the re-exec worked", core: "Cooperlake", cpu: avx512CPU(bf16: true),
             env: ["OPENBLAS_CORETYPE": "Cooperlake", BLASCore.guardVariable: "Prescott"], expected: .ok),
        Case(name: "Cooperlake already", core: "Cooperlake", cpu: avx512CPU(bf16: true), env: [:], expected: .ok),
        Case(name: "SkylakeX already", core: "SkylakeX", cpu: avx512CPU(bf16: false), env: [:], expected: .ok),
        Case(name: "Haswell already", core: "Haswell", cpu: haswellCPU, env: [:], expected: .ok),
        Case(name: "Zen is OpenBLAS's deliberate choice", core: "Zen", cpu: avx512CPU(bf16: true), env: [:], expected: .ok),
        Case(name: "Excavator is a vendor-specific choice", core: "Excavator", cpu: haswellCPU, env: [:], expected: .ok),
        Case(name: "an old CPU has nothing better", core: "Prescott", cpu: Features(), env: [:], expected: .ok),
        Case(name: "AVX without OS support (no OSXSAVE)", core: "Nehalem",
             cpu: { var f = haswellCPU; f.osAVX = false; return f }(), env: [:], expected: .ok),
        Case(name: "AVX2 without FMA", core: "Sandybridge",
             cpu: { var f = haswellCPU; f.fma = false; return f }(), env: [:], expected: .ok),
        Case(name: "AVX-512 F without BW: Haswell", core: "Core2",
             cpu: { var f = avx512CPU(bf16: false); f.avx512bw = false; return f }(), env: [:], expected: .reexec(coreType: "Haswell")),
        Case(name: "core names compare case-insensitively", core: "prescott", cpu: haswellCPU, env: [:],
             expected: .reexec(coreType: "Haswell")),
        Case(name: "a name we do not know is left alone", core: "Neoversen1", cpu: haswellCPU, env: [:], expected: .ok),
    ]

    @Test(arguments: cases)
    func decision(_ c: Case) {
        #expect(BLASCore.decide(coreName: c.core, features: c.cpu, environment: c.env) == c.expected)
    }

    /// Every pre-AVX2 name OpenBLAS 0.3.21's `gotoblas_corename` can return counts as a fallback.
    @Test(arguments: ["Unknown", "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
                      "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat", "Sandybridge"])
    func genericNamesAreFallbacks(core: String) {
        #expect(BLASCore.isFallback(core, on: Self.haswellCPU))
        #expect(!BLASCore.isFallback(core, on: Features()))
    }

    @Test(arguments: ["Haswell", "Zen", "SkylakeX", "Cooperlake", "Bulldozer", "Piledriver", "Steamroller", "Excavator"])
    func modernNamesAreNot(core: String) {
        #expect(!BLASCore.isFallback(core, on: Self.avx512CPU(bf16: true)))
    }

    @Test func warningsNameTheRemedy() throws {
        let env: [String: String] = [:]
        let text = try #require(BLASCore.warning(for: .reexec(coreType: "Cooperlake"), core: "Prescott", environment: env))
        #expect(text.contains("generic Prescott"))
        #expect(text.contains("export OPENBLAS_CORETYPE=Cooperlake"))
        let after = ["OPENBLAS_CORETYPE": "Cooperlake", BLASCore.guardVariable: "Prescott"]
        let still = try #require(BLASCore.warning(for: .warn(recommended: "Cooperlake"), core: "Prescott", environment: after))
        #expect(still.contains("OPENBLAS_CORETYPE=Cooperlake") && still.contains("export OPENBLAS_CORETYPE=SkylakeX"))
        #expect(BLASCore.warning(for: .ok, core: "Cooperlake", environment: env) == nil)
        #expect(BLASCore.warning(for: .keepUserChoice("Prescott"), core: "Prescott", environment: env) == nil)
    }

    /// The test hook stands in for OpenBLAS's auto-detection only: once a core type is set, the
    /// real name counts (so the re-executed process sees the core it asked for).
    @Test func testHookAppliesOnlyWithoutCoreType() {
        let real = String(cString: openblas_get_corename())
        #expect(BLASCore.coreInUse(environment: [:]) == real)
        #expect(BLASCore.coreInUse(environment: [BLASCore.testHookVariable: "Prescott"]) == "Prescott")
        #expect(BLASCore.coreInUse(environment: [BLASCore.testHookVariable: "Prescott", "OPENBLAS_CORETYPE": "Haswell"]) == real)
    }

    #if os(Linux) && arch(x86_64)
    /// CPUID agrees with the kernel's view in /proc/cpuinfo (which also hides features the OS
    /// does not enable).
    @Test func featuresMatchProcCpuinfo() throws {
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let f = BLASCore.detectFeatures()
        #expect(f.avx == flags.contains("avx"))
        #expect(f.avx2 == flags.contains("avx2"))
        #expect(f.fma == flags.contains("fma"))
        #expect((f.avx512f && f.osAVX512) == flags.contains("avx512f"))
        #expect((f.avx512bw && f.osAVX512) == flags.contains("avx512bw"))
        #expect((f.avx512dq && f.osAVX512) == flags.contains("avx512dq"))
        #expect((f.avx512vl && f.osAVX512) == flags.contains("avx512vl"))
        #expect((f.avx512bf16 && f.osAVX512) == flags.contains("avx512_bf16"))
    }
    #endif

    @Test func reportAndBenchmarkNameTheCore() throws {
        let report = BLASReport.gather(n: 64, seconds: 0)
        #expect(report.core == BLASCore.coreInUse())
        #expect(report.sgemm.first?.threads == 1 && report.sgemm.allSatisfy { $0.gflops > 0 })
        #expect(report.verdict == (BLASCore.isFallback(report.core, on: report.cpu) ? "slow: generic kernels" : "ok"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        for key in ["openblas_config", "blas_core", "coretype_source", "cpu", "threads_default", "sgemm", "verdict", "notes"] {
            #expect(json?.keys.contains(key) == true, "missing \(key)")
        }
        #expect(EngineBenchmark.matmul(n: 32, threads: 1, minSeconds: 0).blas_core == report.core)
    }
}
