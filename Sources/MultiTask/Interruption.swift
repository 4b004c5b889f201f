import Dispatch
import Foundation
import Synchronization

/// Ctrl-C handling for long runs: the first SIGINT asks the trainer to finish its current step,
/// save a resumable checkpoint and stop; a second one ends the process at once.
public enum Interruption {
    private static let requests = Atomic<Int>(0)
    private static let source = Mutex<DispatchSourceSignal?>(nil)

    /// Whether an interrupt has been requested.
    public static var requested: Bool { requests.load(ordering: .relaxed) > 0 }

    /// Routes SIGINT to the flag above (idempotent). `onFirst` runs once, e.g. to print a notice.
    public static func install(onFirst: @escaping @Sendable () -> Void = {}) {
        source.withLock { current in
            guard current == nil else { return }
            signal(SIGINT, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            signalSource.setEventHandler {
                let count = requests.add(1, ordering: .relaxed).newValue
                if count == 1 { onFirst() } else { exit(130) }
            }
            signalSource.resume()
            current = signalSource
        }
    }
}
