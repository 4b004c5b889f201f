import MultiTask

extension ReportCharts {
    /// Grouping against budget: scored on the ground truth when the study has one (a chart of the
    /// gap to the optimum, a table per budget, the estimators' summary), else each estimator's choices.
    static func grouping(_ results: StudyResults) -> String? {
        guard let grouping = results.grouping else { return nil }
        guard let evaluation = grouping.evaluation else { return choices(grouping) }
        let path = "grouping.evaluation"
        var body = ""
        // One series per row name (estimators and references), the worst random partition left to the tables.
        var names: [String] = []
        for budget in evaluation.budgets {
            for row in budget.rows where !names.contains(row.name) && !row.name.hasPrefix("random (worst") { names.append(row.name) }
        }
        let budgets = evaluation.budgets.sorted { $0.maxGroups < $1.maxGroups }
        // Short legend names for the reference rows (the legend is narrow); the tables give them in full.
        func short(_ name: String) -> String {
            switch name {
            case "all tasks in one network": "all in one"
            case "one network per task": "one per task"
            default: name.hasPrefix("random (mean") ? "random mean" : name
            }
        }
        let series = names.map { name in
            LineChart.Series(name: short(name), points: budgets.compactMap { budget in budget.rows.first { $0.name == name }.map { (x: Double(budget.maxGroups), y: $0.gapPercent) } })
        }
        var chart = LineChart(title: "gap to the optimum against budget", xLabel: "budget: at most this many networks", yLabel: "test loss gap to optimum (%)", series: series)
        chart.integerX = true
        chart.markers = true
        body += HTML.figure(chart.svg, caption: "For each budget (x), each grouping's mean test loss above the optimum's, in percent (y; zero is the optimum, lower is better). "
                            + "The estimators choose groups from their own matrices; random is the mean over seeded random partitions; "
                            + "the references train all tasks in one network or one network per task, whatever the budget.")
        for (b, budget) in evaluation.budgets.enumerated() {
            let at = "\(path).budgets[\(b)]"
            let rows = budget.rows.enumerated().map { r, row -> [Cell] in
                [.text(row.name), .raw(HTML.groups(row.groups), numeric: false),
                 .raw(NumberFormat.html(row.testLoss, .value, "\(at).rows[\(r)].testLoss")),
                 .raw(NumberFormat.html(row.gapPercent, .percent, "\(at).rows[\(r)].gapPercent", lowerIsBetter: true)),
                 .raw(NumberFormat.html(row.deltaM, .percent, "\(at).rows[\(r)].deltaM"))]
            }
            body += "<h3>At most \(NumberFormat.html(budget.maxGroups, "\(at).maxGroups")) network\(budget.maxGroups == 1 ? "" : "s")</h3>\n"
            body += HTML.table(["grouping", "groups", "mean test loss", "gap to optimum %", "Δm%"], rows)
        }
        body += HTML.caption("Each task is served by its chosen network with the lowest validation loss and scored on test (Standley et al.'s protocol). "
                             + "Gap: positive is worse than the optimum. Δm%: against one network per task, positive is better.")
        if !evaluation.estimators.isEmpty {
            let rows = evaluation.estimators.enumerated().map { e, summary -> [Cell] in
                let at = "\(path).estimators[\(e)]"
                return [.text(summary.name), .raw(NumberFormat.html(summary.rankCorrelation, .ratio, "\(at).rankCorrelation")),
                        .raw(NumberFormat.html(summary.computeFraction, .ratio, "\(at).computeFraction")),
                        .raw(NumberFormat.html(summary.meanGapPercent, .percent, "\(at).meanGapPercent", lowerIsBetter: true))]
            }
            body += "<h3>Estimators</h3>\n"
            body += HTML.table(["estimator", "Spearman ρ vs pairwise training", "compute / ground truth", "mean gap to optimum %"], rows)
            body += HTML.caption("ρ: rank correlation of the estimator's pairwise values with pairwise training's relative gains on validation (higher is better; "
                                 + "n/a over fewer than three task pairs or a constant matrix). "
                                 + (evaluation.estimators.contains { $0.name == "pairwise" } ? "The pairwise estimator is that reference itself, so its ρ is one by construction. " : "")
                                 + "Compute: the estimator's CPU seconds over the ground truth's. Mean gap: over the budgets above (lower is better).")
        }
        return HTML.section("grouping", "Grouping against budget", body)
    }

    /// Each estimator's groups per budget and, when verified, their losses and Δm%.
    static func choices(_ grouping: StudyResults.Grouping) -> String? {
        guard !grouping.choices.isEmpty else { return nil }
        let rows = grouping.choices.enumerated().map { c, choice -> [Cell] in
            let at = "grouping.choices[\(c)]"
            return [.text(choice.estimator), .raw(NumberFormat.html(choice.maxGroups, "\(at).maxGroups")), .raw(HTML.groups(choice.groups), numeric: false),
                    .raw(NumberFormat.html(choice.validationLoss, .value, "\(at).validationLoss")),
                    .raw(NumberFormat.html(choice.testLoss, .value, "\(at).testLoss")),
                    .raw(NumberFormat.html(choice.deltaM, .percent, "\(at).deltaM"))]
        }
        return HTML.section("grouping", "Grouping against budget",
                            HTML.table(["estimator", "at most networks", "groups", "validation loss", "test loss", "Δm%"], rows)
                            + HTML.caption("Each estimator's groups for each budget. Losses: the mean over the tasks, each served by its best chosen network; "
                                           + "a dash where the groups were not trained. Δm%: against one network per task, positive is better."))
    }
}
