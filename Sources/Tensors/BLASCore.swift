import CBLAS

/// Which OpenBLAS kernels run, and whether they fit the CPU.
///
/// Debian's OpenBLAS (a `DYNAMIC_ARCH` build) picks its kernels from the CPU model when it loads.
/// On CPUs it does not know it can fall back to generic SSE kernels ("Prescott"), several times
/// slower than the AVX2/AVX-512 kernels the CPU could run. `OPENBLAS_CORETYPE` fixes that, but only
/// if it is set before the library loads: `mtk` re-executes itself once with it set, a library
/// user gets a one-time warning (see `BLASCore+Process.swift`). This file holds the pure part.
package enum BLASCore {
    /// What the CPU and the OS support, as far as OpenBLAS's x86 kernels care.
    package struct CPUFeatures: Sendable, Equatable, Codable {
        package var avx = false, avx2 = false, fma = false
        package var avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false, avx512bf16 = false
        /// The OS saves the YMM state (XCR0 bits 1–2), and the ZMM and opmask state (bits 5–7).
        package var osAVX = false, osAVX512 = false

        package init() {}

        enum CodingKeys: String, CodingKey {
            case avx, avx2, fma, avx512f, avx512bw, avx512dq, avx512vl, avx512bf16 = "avx512_bf16"
            case osAVX = "os_avx", osAVX512 = "os_avx512"
        }

        /// The best OpenBLAS core for these features: AVX-512 F/BW/DQ/VL → SkylakeX, with BF16 →
        /// Cooperlake; AVX2 + FMA → Haswell; nil when nothing beats what OpenBLAS picks itself.
        package var recommendedCore: String? {
            guard avx && osAVX else { return nil }
            if osAVX512 && avx512f && avx512bw && avx512dq && avx512vl { return avx512bf16 ? "Cooperlake" : "SkylakeX" }
            return avx2 && fma ? "Haswell" : nil
        }
    }

    /// What to do about the kernels in use.
    package enum Decision: Equatable, Sendable {
        /// The kernels fit the CPU (or nothing better is known).
        case ok
        /// Generic kernels, but the user set `OPENBLAS_CORETYPE`: never overridden.
        case keepUserChoice(String)
        /// Generic kernels: start again with `OPENBLAS_CORETYPE` set to this (or tell the user to).
        case reexec(coreType: String)
        /// Still generic after mtk's re-exec: warn, never exec again.
        case warn(recommended: String)
    }

    /// Set by mtk's re-exec (to the core OpenBLAS had chosen), so that it happens at most once.
    package static let guardVariable = "MTK_BLAS_REEXEC"
    /// Test hook: pretend OpenBLAS auto-detected this core (ignored once `OPENBLAS_CORETYPE` is set),
    /// to exercise the re-exec on a CPU that OpenBLAS recognises.
    package static let testHookVariable = "MTK_TEST_ASSUME_CORENAME"

    /// Core names that OpenBLAS 0.3.21's `gotoblas_corename` returns for pre-AVX kernels, plus
    /// "Unknown". Sandybridge (AVX without FMA) is what it picks when it sees no usable AVX2.
    /// Vendor-specific choices (Bulldozer … Excavator, Zen) and AVX2/AVX-512 cores are left alone.
    static let fallbackCores: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat", "sandybridge",
    ]

    /// Whether `core` is a generic fallback while the CPU supports a better one.
    package static func isFallback(_ core: String, on features: CPUFeatures) -> Bool {
        features.recommendedCore != nil && fallbackCores.contains(core.lowercased())
    }

    /// The decision from the core in use, the CPU and the environment. An empty
    /// `OPENBLAS_CORETYPE` counts as unset (OpenBLAS then auto-detects too).
    package static func decide(coreName: String, features: CPUFeatures, environment: [String: String]) -> Decision {
        guard let better = features.recommendedCore, isFallback(coreName, on: features) else { return .ok }
        if environment[guardVariable] != nil { return .warn(recommended: better) }
        if let user = environment["OPENBLAS_CORETYPE"], !user.isEmpty { return .keepUserChoice(user) }
        return .reexec(coreType: better)
    }

    /// Reads CPUID and XCR0. On a CPU other than x86 every feature is false.
    package static func detectFeatures() -> CPUFeatures {
        var f = CPUFeatures()
        var r: [UInt32] = [0, 0, 0, 0]
        guard mtk_cpuid(0, 0, &r) != 0 else { return f }
        let maxLeaf = r[0]
        guard mtk_cpuid(1, 0, &r) != 0 else { return f }
        let ecx1 = r[2]
        f.fma = ecx1 & (1 << 12) != 0
        f.avx = ecx1 & (1 << 28) != 0
        if ecx1 & (1 << 27) != 0 {  // OSXSAVE: XGETBV is allowed
            let xcr0 = mtk_xgetbv0()
            f.osAVX = xcr0 & 0x6 == 0x6
            f.osAVX512 = xcr0 & 0xE6 == 0xE6
        }
        guard maxLeaf >= 7, mtk_cpuid(7, 0, &r) != 0 else { return f }
        let (eax7, ebx7) = (r[0], r[1])
        f.avx2 = ebx7 & (1 << 5) != 0
        f.avx512f = ebx7 & (1 << 16) != 0
        f.avx512dq = ebx7 & (1 << 17) != 0
        f.avx512bw = ebx7 & (1 << 30) != 0
        f.avx512vl = ebx7 & (1 << 31) != 0
        if eax7 >= 1, mtk_cpuid(7, 1, &r) != 0 { f.avx512bf16 = r[0] & (1 << 5) != 0 }
        return f
    }
}
