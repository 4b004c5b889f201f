import Foundation

/// The outcome of a run on the test set, with single-task baselines and Δm% when trained.
public struct RunResults: Sendable, Codable {
    /// The results of the finished run in `directory` (its `results.json`).
    public static func read(run directory: URL) throws -> RunResults {
        let file = try RunDirectory.reading(directory).results
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw RunDirectoryError.corrupt(path: directory.path, reason: "has no results.json: the run has not finished")
        }
        return try RunDirectory.readJSON(RunResults.self, from: file, what: "run results")
    }

    public var test: Evaluation
    public var bestEpoch: Int?
    public var baselines: Evaluation?
    public var deltaM: DeltaM?
    public var summary: TrainingSummary
    /// The weights evaluated (file, epoch and step), when they came from a file.
    public var weights: String?

    /// A Markdown table of the test metrics (and baselines and Δm% when present).
    public var markdown: String {
        var lines = ["| task | metric | multi-task |" + (baselines == nil ? "" : " single-task | change % |"),
                     "|---|---|---:|" + (baselines == nil ? "" : "---:|---:|")]
        for task in test.tasks {
            if task.hasNoLabels {
                lines.append("| \(task.task) | (no labels) | - |" + (baselines == nil ? "" : " - | - |"))
                continue
            }
            for metric in task.metrics {
                var line = "| \(task.task) | \(metric.name) | \(RunResults.format(metric.value)) |"
                if let base = baselines?[task.task]?.metric(metric.name) {
                    line += " \(RunResults.format(base.value)) | \(String(format: "%+.2f", deltaM?.perMetric["\(task.task).\(metric.name)"] ?? .nan)) |"
                }
                lines.append(line)
            }
        }
        if let deltaM {
            lines.append("\nΔm% = \(String(format: "%+.2f", deltaM.improvement)) over \(deltaM.tasks.count) of \(test.tasks.count) tasks (positive: better than single-task; the \"drop\" convention reports \(String(format: "%+.2f", deltaM.drop)))")
            for (key, reason) in deltaM.excluded.sorted(by: { $0.key < $1.key }) { lines.append("left out of Δm%: \(key): \(reason)") }
        }
        return lines.joined(separator: "\n")
    }

    /// A metric for a table: four decimals, or "undefined" (AUROC with one class in the labels, say).
    static func format(_ value: Double) -> String { value.isNaN ? "undefined" : String(format: "%.4f", value) }
}
