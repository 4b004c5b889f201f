import Foundation

extension StudyResults {
    /// What a finished study prints last: the recommended grouping per budget, a short summary
    /// and where the report is.
    package func closing(directory: URL) -> String {
        var lines: [String] = []
        let show = { (groups: [[String]]) in groups.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: "  ") }
        if let recommendations, !recommendations.isEmpty {
            lines.append("Recommended grouping:")
            for r in recommendations {
                let score = r.deltaM.map { String(format: " — Δm %+.2f%% against single-task networks", $0) } ?? ""
                lines.append("  \(r.maxGroups) network\(r.maxGroups == 1 ? "" : "s"): \(show(r.groups))\(score)")
                lines.append("      from \(r.source)")
            }
        }
        if let multitask {
            for network in multitask {
                if let d = network.deltaM { lines.append(String(format: "Multi-task (%@): Δm %+.2f%% over %d tasks", network.label, d.improvement, d.tasks.count)) }
            }
        }
        if let evaluation = grouping?.evaluation {
            for summary in evaluation.estimators {
                let rho = summary.rankCorrelation.isNaN ? "undefined (fewer than 3 task pairs, or a constant matrix)"
                    : String(format: "%.2f", summary.rankCorrelation) + (summary.name == "pairwise" ? " (the reference itself: 1 by construction)" : "")
                lines.append("\(summary.name): rank correlation with pairwise gains \(rho), mean gap to the optimum " + String(format: "%+.2f%%", summary.meanGapPercent))
            }
        }
        if let sweep, let best = sweep.trials.first {
            lines.append("Sweep: best of \(sweep.trials.count) trials on validation \(sweep.select): " + StudyConfig.Sweep.describe(best.settings))
        } else if let sweep, let failed = sweep.failed {
            lines.append("Sweep: all \(failed.count) trials failed (the report lists why); none is ranked")
        }
        let total = timings.reduce(0) { $0 + $1.seconds }
        lines.append(String(format: "The study's steps took %.0f s in all. Report: %@", total, directory.appendingPathComponent("report.html").path))
        return lines.joined(separator: "\n")
    }
}
