import Dispatch
import Foundation
import Synchronization

/// Ctrl-C and SIGTERM for long runs. While a trainer runs (`saving` is on), the first signal asks
/// it to finish its current step, save a resumable checkpoint and stop; a second one ends the
/// process at once. Before training starts (loading data, say) there is nothing to save, so the
/// first signal ends the process at once.
public enum Interruption {
    private static let requests = Atomic<Int>(0)
    private static let saving = Atomic<Bool>(false)
    private static let lastSignal = Atomic<Int32>(0)
    private static let sources = Mutex<[DispatchSourceSignal]>([])

    /// Whether an interrupt has been requested.
    public static var requested: Bool { requests.load(ordering: .relaxed) > 0 }

    /// The conventional exit status after the requested stop: 128 + the signal (130 for Ctrl-C,
    /// 143 for SIGTERM).
    public static var exitStatus: Int32 { 128 + (lastSignal.load(ordering: .relaxed) == 0 ? SIGINT : lastSignal.load(ordering: .relaxed)) }

    /// Turns on (or off) the save-then-stop handling: on once a trainer can save at its next step.
    public static func setSaving(_ on: Bool) { saving.store(on, ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to the flag above (idempotent). `onFirst` runs once, when a first
    /// signal arrives during training (to print a notice); `onExit` just before an immediate exit.
    public static func install(onFirst: @escaping @Sendable () -> Void = {}, onExit: @escaping @Sendable (Int32) -> Void = { _ in }) {
        sources.withLock { current in
            guard current.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    let status = 128 + signalNumber
                    lastSignal.store(signalNumber, ordering: .relaxed)
                    guard saving.load(ordering: .relaxed) else { onExit(signalNumber); exit(status) }
                    let count = requests.add(1, ordering: .relaxed).newValue
                    if count == 1 { onFirst() } else { onExit(signalNumber); exit(status) }
                }
                source.resume()
                current.append(source)
            }
        }
    }
}
