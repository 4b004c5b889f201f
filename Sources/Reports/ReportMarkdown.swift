import MultiTask

/// `summary.md`: the recommendation, test metrics and Δm% per method, the affinity matrices as
/// small tables, the grouping rows and the timings, with the report's number rules.
enum ReportMarkdown {
    /// A number by `kind`'s rule, a dash when missing.
    static func f(_ value: Double?, _ kind: NumberKind) -> String { value.map { NumberFormat.text($0, kind) } ?? "—" }

    /// Text safe in a table cell.
    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    static func table(_ head: [String], _ rows: [[String]], numeric: Int = 1) -> [String] {
        ["| " + head.map(cell).joined(separator: " | ") + " |",
         "|" + head.indices.map { $0 < numeric ? "---|" : "---:|" }.joined(),
        ] + rows.map { "| " + $0.joined(separator: " | ") + " |" } + [""]
    }

    static func groups(_ groups: [[String]]) -> String {
        groups.isEmpty ? "—" : cell(groups.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: " "))
    }

    static func render(_ r: StudyResults) -> String {
        var lines = ["# \(r.name)", ""]
        if let description = r.description, !description.isEmpty { lines += [description, ""] }
        if let recommendations = r.recommendations, !recommendations.isEmpty {
            lines += ["## Recommended grouping", ""]
            lines += table(["at most networks", "groups", "source", "mean test loss", "Δm%"],
                           recommendations.map { ["\($0.maxGroups)", groups($0.groups), cell($0.source), f($0.testLoss, .value), f($0.deltaM, .percent)] }, numeric: 3)
        }
        lines += ["Tasks: " + r.tasks.map { "\($0.name) (\($0.kind))" }.joined(separator: ", "), ""]
        let baselines = r.baselines ?? [], multitask = r.multitask ?? []
        if !baselines.isEmpty || !multitask.isEmpty {
            lines += ["## Test metrics", ""]
            var rows: [[String]] = []
            for task in r.tasks.map(\.name) {
                let base = baselines.lazy.compactMap { $0.test[task] }.first
                guard let reference = base ?? multitask.lazy.compactMap({ $0.test[task] }).first else { continue }
                for metric in reference.metrics {
                    var row = [cell(task), cell(ReportTables.metricLabel(metric.name, higherIsBetter: metric.higherIsBetter))]
                    if !baselines.isEmpty { row.append(f(base?.metric(metric.name)?.value, .value)) }
                    for network in multitask {
                        let value = f(network.test[task]?.metric(metric.name)?.value, .value)
                        let change = network.deltaM?.perMetric["\(task).\(metric.name)"].map { " (\(NumberFormat.text($0, .percent))%)" } ?? ""
                        row.append(value + change)
                    }
                    rows.append(row)
                }
            }
            if multitask.contains(where: { $0.deltaM != nil }) {
                rows.append(["**Δm%**", ""] + (baselines.isEmpty ? [] : [""]) + multitask.map { "**\(f($0.deltaM?.improvement, .percent))**" })
            }
            lines += table(["task", "metric"] + (baselines.isEmpty ? [] : ["single-task"]) + multitask.map(\.label), rows, numeric: 2)
            lines += multitask.contains(where: { $0.deltaM != nil })
                ? ["In parentheses: the change against single-task, in percent (positive is better). Δm%: their mean per task, then over the tasks.", ""]
                : ["No single-task networks were trained (steps.baselines), so there is no Δm%.", ""]
        }
        for matrix in r.affinity ?? [] {
            let (labels, index) = ReportCharts.reordered(matrix, r.tasks.map(\.name))
            lines += ["## Affinity: \(matrix.method)", "", "\(ReportCharts.orientation(matrix))" + (matrix.lowerIsBetter == true ? "; validation losses, lower is better." : "."), ""]
            lines += table([matrix.orientation == .sourceToTarget ? "source \\ target" : "target \\ source"] + labels,
                           index.map { i in [cell(matrix.tasks[i])] + index.map { j in f(matrix.values[i][j], .value) } })
        }
        if let grouping = r.grouping {
            lines += ["## Grouping against budget", ""]
            if let evaluation = grouping.evaluation {
                for budget in evaluation.budgets {
                    lines += ["### At most \(budget.maxGroups) network\(budget.maxGroups == 1 ? "" : "s")", ""]
                    lines += table(["grouping", "groups", "mean test loss", "gap to optimum %", "Δm%"],
                                   budget.rows.map { [cell($0.name), groups($0.groups), f($0.testLoss, .value), f($0.gapPercent, .percent), f($0.deltaM, .percent)] }, numeric: 2)
                }
            } else {
                lines += table(["estimator", "at most networks", "groups", "validation loss", "test loss", "Δm%"],
                               grouping.choices.map { [cell($0.estimator), "\($0.maxGroups)", groups($0.groups), f($0.validationLoss, .value), f($0.testLoss, .value), f($0.deltaM, .percent)] }, numeric: 1)
            }
        }
        if let merges = r.taskVectors?.merges, !merges.isEmpty {
            lines += ["## Merge methods (task vectors)", ""]
            lines += table(["method", "α (validation)", "mean normalised validation", "mean normalised test"],
                           merges.map { [$0.method.rawValue, f($0.chosenAlpha, .alpha), f($0.validationMean, .value), f($0.testMean, .value)] })
            lines.append("")
        }
        if let pruned = r.pruning, !pruned.isEmpty {
            lines += ["## Pruning", ""]
            lines += table(["method", "sparsity %", "reached %", "Δm% vs dense", "Δm% vs single-task", "summed test loss"],
                           pruned.map { [cell($0.method), f($0.sparsity, .fraction), f($0.trunkSparsity, .fraction), f($0.deltaMDense, .percent), f($0.network.deltaM?.improvement, .percent), f($0.network.testLoss, .value)] })
            if let dense = r.pruningDense { lines.append("\nThe dense network of all the tasks: summed test loss \(f(dense.testLoss, .value)).") }
            lines.append("")
        }
        if let sweep = r.sweep, sweep.trials.isEmpty, let failed = sweep.failed, !failed.isEmpty {
            lines += ["## Sweep (ranked on validation \(sweep.select))", "", "Every trial failed, so none is ranked:"]
            for trial in failed { lines.append("- `" + StudyConfig.Sweep.describe(trial.settings) + "`: \(trial.reason)") }
            lines.append("")
        }
        if let sweep = r.sweep, !sweep.trials.isEmpty {
            lines += ["## Sweep (ranked on validation \(sweep.select))", ""]
            lines += table(["rank", "settings", "validation"],
                           sweep.trials.sorted { $0.rank < $1.rank }.map { trial in
                               ["\(trial.rank)", cell(StudyConfig.Sweep.describe(trial.settings)), f(trial.validationScore, .value)]
                           })
            for trial in sweep.failed ?? [] {
                lines.append("- failed, not ranked: `" + StudyConfig.Sweep.describe(trial.settings) + "`: \(trial.reason)")
            }
            lines.append("")
        }
        if !r.timings.isEmpty {
            lines += ["## Timings", ""]
            lines += table(["step", "wall s", "CPU s", "trained", "cached"],
                           r.timings.map { [cell($0.step), f($0.seconds, .seconds), f($0.cpuSeconds, .seconds), "\($0.trained)", "\($0.cached)"] })
        }
        lines += ["Version: \(r.version)", ""]
        return lines.joined(separator: "\n")
    }
}
