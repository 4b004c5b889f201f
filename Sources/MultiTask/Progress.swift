import Foundation

/// Shows a run's progress on standard error: on a terminal, one redrawn line with a bar, steps/s,
/// ETA and per-task running losses; otherwise plain log lines (at most one per 10% of an epoch).
/// Each epoch ends with a line of validation results.
public final class ProgressPrinter {
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var epochStart = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var lastLoggedTenth = -1
    private var firstStep = 1, lastStep = 0
    private var running: [String: Double] = [:]
    private var taskOrder: [String] = []

    public init(isTerminal: Bool = isatty(2) != 0, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.isTerminal = isTerminal
        self.write = write
    }

    public func handle(_ event: TrainingEvent) {
        switch event {
        case .step(let epoch, let epochs, let step, let steps, let losses):
            if step != lastStep + 1 {  // a new epoch, or a resumed one
                epochStart = .now
                firstStep = step
                lastLoggedTenth = step == 1 ? -1 : step * 10 / Swift.max(steps, 1)
                running = [:]
            }
            lastStep = step == steps ? 0 : step
            if taskOrder.isEmpty { taskOrder = losses.keys.sorted() }
            for (task, loss) in losses { running[task] = running[task].map { 0.9 * $0 + 0.1 * loss } ?? loss }
            // Rates count from the end of the first step, which also pays one-time warm-up costs.
            let elapsed = (ContinuousClock.now - epochStart).seconds
            let rate = step > firstStep ? Double(step - firstStep) / Swift.max(elapsed, 1e-9) : .nan
            let eta = Double(steps - step) / rate
            let lossText = taskOrder.map { "\($0) \(Self.format(running[$0] ?? .nan))" }.joined(separator: "  ")
            if isTerminal {
                guard step == steps || (ContinuousClock.now - lastDraw) > .milliseconds(100) else { return }
                lastDraw = .now
                let filled = Int((Double(step) / Double(Swift.max(steps, 1)) * 20).rounded(.down))
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 20 - filled)
                write("\r\u{1B}[2Kepoch \(epoch + 1)/\(epochs) \(bar) \(step)/\(steps)  \(Self.rate(rate)) steps/s  ETA \(Self.clock(eta))  \(lossText)")
            } else {
                let tenth = step * 10 / Swift.max(steps, 1)
                guard tenth > lastLoggedTenth else { return }
                lastLoggedTenth = tenth
                write("epoch \(epoch + 1)/\(epochs) step \(step)/\(steps) \(Self.rate(rate)) steps/s eta \(Self.clock(eta)) \(lossText)\n")
            }
        case .epoch(let record):
            if isTerminal { write("\r\u{1B}[2K") }
            var line = "epoch \(record.epoch) done in \(String(format: "%.1f", record.seconds))s, train loss "
            line += record.trainLoss.keys.sorted().map { "\($0) \(Self.format(record.trainLoss[$0]!))" }.joined(separator: " ")
            if let validation = record.validation {
                line += " | validation " + validation.tasks.map { task in
                    "\(task.task) " + (task.metrics.first.map { "\($0.name) \(Self.format($0.value))" } ?? "")
                }.joined(separator: ", ")
            }
            write(line + "\n")
        case .note(let text):
            if isTerminal { write("\r\u{1B}[2K") }
            write(text + "\n")
        }
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }

    static func rate(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "-" }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
