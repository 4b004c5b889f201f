import Foundation

extension TaskVectorStudy.Result {
    /// The study as Markdown: norms and alignment, the cosine matrix, each task vector's α sweep
    /// (normalised test metric on every task) and task addition.
    public var markdown: String {
        func number(_ x: Double, _ digits: Int = 3) -> String { x.isNaN ? "–" : String(format: "%.\(digits)f", x) }
        var out = "# Task vectors\n\n"
        // With other patterns than the trunk's, the baseline is θ_pre + τ over them (α = 1), not the whole fine-tuned model.
        let whole = settings.include == ["trunk.*"]
        let baseline = whole ? "fine-tuned" : "θ_pre + τ (include \(settings.include.joined(separator: ", ")))"
        out += "Metric per task: \(zip(tasks, metrics).map { "\($0) \($1)" }.joined(separator: ", ")). Normalised = metric ÷ the task's \(whole ? "fine-tuned model's" : baseline + "'s, its fine-tuned tensors where include covers them") (baseline ÷ metric when lower is better); 1 = as good as \(whole ? "fine-tuning on the task alone" : "that").\n\n"
        out += "| task | ‖τ‖ | SAR to Σ τ | \(baseline) validation | \(baseline) test |\n|---|---|---|---|---|\n"
        for t in tasks.indices {
            out += "| \(tasks[t]) | \(number(norms[t])) | \(number(alignment[t])) | \(number(baselineValidation[t], 4)) | \(number(baselineTest[t], 4)) |\n"
        }
        out += "\n## Cosine of task vectors\n\n| | " + tasks.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: tasks.count + 1) + "\n"
        for (i, row) in cosine.values.enumerated() { out += "| \(tasks[i]) | " + row.map { number($0) }.joined(separator: " | ") + " |\n" }
        out += "\n## α sweeps: θ_pre + α·τ_row's task, normalised test metric on every task\n"
        for (t, sweep) in sweeps.enumerated() {
            out += "\n### τ_\(tasks[t])\n\n| α | " + tasks.joined(separator: " | ") + " | mean |\n|" + String(repeating: "---|", count: tasks.count + 2) + "\n"
            for point in sweep { out += "| \(point.alpha) | " + point.test.map { number($0.normalized) }.joined(separator: " | ") + " | \(number(point.testMean)) |\n" }
        }
        out += "\n## Task addition: θ_pre + α·Σ τ (α chosen on validation: \(chosenAlpha))\n\n"
        out += "| α | validation mean | " + tasks.map { "\($0) (test)" }.joined(separator: " | ") + " | test mean |\n|" + String(repeating: "---|", count: tasks.count + 3) + "\n"
        for point in addition {
            let mark = point.alpha == chosenAlpha ? " **←**" : ""
            out += "| \(point.alpha)\(mark) | \(number(point.validationMean)) | " + point.test.map { number($0.normalized) }.joined(separator: " | ") + " | \(number(point.testMean)) |\n"
        }
        if let chosen = addition.first(where: { $0.alpha == chosenAlpha }) {
            out += "\nAt α = \(chosenAlpha), absolute test metrics: " + zip(tasks, chosen.test).map { "\($0) \(number($1.value, 4))" }.joined(separator: ", ") + "; normalised mean \(number(chosen.testMean)).\n"
        }
        return out
    }
}
