import CBLAS
import Foundation

extension BLASCore {
    /// The core OpenBLAS loaded, as `openblas_get_corename()` reports it — or, while
    /// `OPENBLAS_CORETYPE` is unset, the test hook's name if that is set.
    package static func coreInUse(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if (environment["OPENBLAS_CORETYPE"] ?? "").isEmpty, let assumed = environment[testHookVariable], !assumed.isEmpty {
            return assumed
        }
        return String(cString: openblas_get_corename())
    }

    /// OpenBLAS's build string, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
    package static var openBLASConfig: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }

    /// For `mtk`, first thing in `main`: if OpenBLAS fell back to generic kernels, execute the same
    /// binary again with the same arguments and `OPENBLAS_CORETYPE` set (never returns then). If
    /// that is impossible or was already done, warn once instead.
    package static func ensureFastKernels() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        let core = coreInUse(environment: environment)
        if case .reexec(let coreType) = decide(coreName: core, features: detectFeatures(), environment: environment) {
            setenv("OPENBLAS_CORETYPE", coreType, 1)
            setenv(guardVariable, core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            let reason = String(cString: strerror(errno))
            unsetenv("OPENBLAS_CORETYPE")
            unsetenv(guardVariable)
            FileHandle.standardError.write(Data("mtk: could not re-execute itself with OPENBLAS_CORETYPE=\(coreType): \(reason)\n".utf8))
        }
        #endif
        _ = checkedOnce
    }

    /// One-time check from the first matrix product: prints `warning` for the current decision.
    static let checkedOnce: Void = {
        let environment = ProcessInfo.processInfo.environment
        let core = coreInUse(environment: environment)
        let decision = decide(coreName: core, features: detectFeatures(), environment: environment)
        if let text = warning(for: decision, core: core, environment: environment) {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }()

    /// The stderr warning with its remedy, or nil when there is nothing to say (kernels fine, or
    /// the user's own `OPENBLAS_CORETYPE`, which `mtk doctor` reports instead).
    package static func warning(for decision: Decision, core: String, environment: [String: String]) -> String? {
        switch decision {
        case .ok, .keepUserChoice:
            return nil
        case .reexec(let coreType):
            return "MultiTaskKit: OpenBLAS is using its generic \(core) kernels, but this CPU supports \(coreType); "
                + "matrix products run up to several times slower. OpenBLAS reads the core only when it loads, so set it "
                + "before starting the program: export OPENBLAS_CORETYPE=\(coreType)   (details: mtk doctor)"
        case .warn(let recommended):
            guard let tried = environment["OPENBLAS_CORETYPE"], !tried.isEmpty else {
                return "MultiTaskKit: OpenBLAS is using its generic \(core) kernels (no re-exec: \(guardVariable) is set); "
                    + "matrix products run up to several times slower. Fix: export OPENBLAS_CORETYPE=\(recommended)   (details: mtk doctor)"
            }
            let remedy = ["Cooperlake": "SkylakeX", "SkylakeX": "Haswell"][recommended].map { ", e.g. export OPENBLAS_CORETYPE=\($0)" }
            return "MultiTaskKit: mtk restarted with OPENBLAS_CORETYPE=\(tried), but OpenBLAS still uses its generic "
                + "\(core) kernels; matrix products run up to several times slower. Try another core\(remedy ?? "")   (details: mtk doctor)"
        }
    }
}
