import MultiTask

/// The report's table sections: test metrics per task and network, the methods side by side, the
/// ground truth's losses, the sweep's trials and the steps' timings.
enum ReportTables {
    typealias Cell = HTML.Cell

    /// `name (↑)` or `name (↓)`: the metric and the direction in which it is better.
    static func metricLabel(_ name: String, higherIsBetter: Bool) -> String { "\(name) (\(higherIsBetter ? "↑" : "↓"))" }

    /// Every task's test loss and metrics for the single-task baselines and each multi-task
    /// network, with each network's per-metric change and Δm%.
    static func metrics(_ results: StudyResults) -> String? {
        let baselines = results.baselines ?? [], multitask = results.multitask ?? []
        guard !baselines.isEmpty || !multitask.isEmpty else { return nil }
        var head = ["task", "metric"]
        if !baselines.isEmpty { head.append("single-task") }
        // Changes only where there is something to change against.
        let changes = multitask.contains { $0.deltaM != nil }
        for network in multitask { head += changes ? [network.label, "Δ%"] : [network.label] }
        var rows: [[Cell]] = []
        for task in results.tasks.map(\.name) {
            let baseline = baselines.indices.lazy.compactMap { b in baselines[b].test.tasks.firstIndex { $0.task == task }.map { (b, $0) } }.first
            let columns = multitask.indices.map { m in (m, multitask[m].test.tasks.firstIndex { $0.task == task }) }
            let reference = baseline.map { baselines[$0.0].test.tasks[$0.1] }
                ?? columns.lazy.compactMap { m, j in j.map { multitask[m].test.tasks[$0] } }.first
            guard let reference else { continue }
            // The loss, then each metric of the first network that has the task.
            let lines: [(name: String, label: String, metric: Int?)] = [("loss", "test loss (↓)", nil)]
                + reference.metrics.enumerated().map { ($1.name, metricLabel($1.name, higherIsBetter: $1.higherIsBetter), $0) }
            for (k, line) in lines.enumerated() {
                var row: [Cell] = [.text(k == 0 ? task : ""), .text(line.label)]
                func value(_ network: String, _ n: Int, _ evaluation: TaskEvaluation, _ j: Int) -> String {
                    let path = "\(network)[\(n)].test.tasks[\(j)]"
                    guard line.metric != nil else { return NumberFormat.html(evaluation.loss, .value, path + ".loss") }
                    guard let k = evaluation.metrics.firstIndex(where: { $0.name == line.name }) else { return NumberFormat.html(nil as Double?, .value, "") }
                    return NumberFormat.html(evaluation.metrics[k].value, .value, path + ".metrics[\(k)].value")
                }
                if !baselines.isEmpty {
                    row.append(.raw(baseline.map { b, j in value("baselines", b, baselines[b].test.tasks[j], j) } ?? NumberFormat.html(nil as Double?, .value, "")))
                }
                for (m, j) in columns {
                    row.append(.raw(j.map { value("multitask", m, multitask[m].test.tasks[$0], $0) } ?? NumberFormat.html(nil as Double?, .value, "")))
                    // Losses are not metrics: Δm% has no change for them.
                    let key = "\(task).\(line.name)"
                    if changes { row.append(.raw(line.metric == nil ? "" : NumberFormat.html(multitask[m].deltaM?.perMetric[key], .percent, "multitask[\(m)].deltaM.perMetric" + JSONPath.key(key)))) }
                }
                rows.append(row)
            }
        }
        if multitask.contains(where: { $0.deltaM != nil }) {
            var row: [Cell] = [.text("all tasks"), .text("Δm%")]
            if !baselines.isEmpty { row.append(.raw("")) }
            for m in multitask.indices {
                row += [.raw(NumberFormat.html(multitask[m].deltaM?.improvement, .percent, "multitask[\(m)].deltaM.improvement")), .raw("")]
            }
            rows.append(row)
        }
        var notes = ""
        for network in multitask {
            guard let excluded = network.deltaM?.excluded, !excluded.isEmpty else { continue }
            let reasons = excluded.keys.sorted().map { "\($0): \(excluded[$0]!)" }.joined(separator: "; ")
            notes += " Left out of \(network.label)'s Δm%: \(reasons)."
        }
        var caption = "Test set. ↑: higher is better, ↓: lower is better. "
        caption += changes ? "Δ% is the relative change of each metric against the single-task network, "
            + "signed so that positive is better; Δm% averages them per task, then over the tasks (positive: better than one network per task)." + notes
            : "No single-task networks were trained (steps.baselines), so there is no Δm%."
        // A baseline near zero makes one metric's relative change dominate Δm%.
        let extreme = multitask.flatMap { network in (network.deltaM?.perMetric ?? [:]).filter { abs($0.value) > 100 }.map { "\(network.label): \($0.key)" } }
        if !extreme.isEmpty {
            caption += " Some changes exceed a hundred percent (" + extreme.sorted().joined(separator: ", ") + "): a single-task metric near zero, whose relative change dominates Δm%; read those tasks' values directly."
        }
        // Metrics over a handful of test labels (accuracy 1 from three) read as exact; say on how few they rest.
        let few = results.tasks.map(\.name).compactMap { task -> String? in
            let counts = (baselines + multitask).compactMap { $0.test[task]?.labelled }
            guard let least = counts.min(), least < 10 else { return nil }
            return task
        }
        if !few.isEmpty {
            caption += " The test set holds fewer than ten labelled examples of " + few.joined(separator: ", ") + ": those metrics are mostly noise."
        }
        return HTML.section("metrics", "Per-task test metrics", HTML.table(head, rows) + HTML.caption(HTML.text(caption)))
    }

    /// The multi-task networks side by side: Δm%, summed test loss, best epoch and training time.
    static func methods(_ results: StudyResults) -> String? {
        guard let multitask = results.multitask, !multitask.isEmpty else { return nil }
        let changes = multitask.contains { $0.deltaM != nil }
        let rows = multitask.enumerated().map { m, network -> [Cell] in
            let path = "multitask[\(m)]"
            return [.text(network.label), .text(network.tasks.joined(separator: ", "))]
                + (changes ? [.raw(NumberFormat.html(network.deltaM?.improvement, .percent, "\(path).deltaM.improvement"))] : []) + [
                    .raw(NumberFormat.html(network.testLoss, .value, "\(path).testLoss")),
                    .raw(NumberFormat.html(network.bestEpoch, "\(path).bestEpoch")),
                    .raw(NumberFormat.html(network.seconds, .seconds, "\(path).seconds")),
                    .raw(NumberFormat.html(network.cpuSeconds, .seconds, "\(path).cpuSeconds"))]
        }
        let caption = "Δm%: mean relative change of the test metrics against one network per task (positive is better). "
            + "Summed test loss: the sum over the network's tasks (lower is better). Best epoch: the one kept, chosen on validation. Seconds: training, wall-clock and CPU (every thread's)."
        return HTML.section("methods", "Method comparison",
                            HTML.table(["method", "tasks"] + (changes ? ["Δm%"] : []) + ["summed test loss", "best epoch", "wall s", "CPU s"], rows) + HTML.caption(HTML.text(caption)))
    }

    /// Every task set's network and its members' validation losses.
    static func groundTruth(_ results: StudyResults) -> String? {
        guard let summary = results.groundTruth else { return nil }
        let truth = summary.truth
        var body = "<p>\(NumberFormat.html(summary.networks, "groundTruth.networks")) networks, one per non-empty set of tasks, trained in "
            + "\(NumberFormat.html(summary.seconds, .seconds, "groundTruth.seconds")) s wall-clock"
            + (summary.cpuSeconds.map { " (\(NumberFormat.html($0, .seconds, "groundTruth.cpuSeconds")) CPU s)" } ?? "") + ".</p>\n"
        let rows = truth.networks.enumerated().map { i, network -> [Cell] in
            [.text(network.tasks.joined(separator: "+"))] + truth.tasks.map { task in
                guard network.tasks.contains(task), let j = network.validation.tasks.firstIndex(where: { $0.task == task }) else { return .raw("") }
                return .raw(NumberFormat.html(network.validation.tasks[j].loss, .value, "groundTruth.truth.networks[\(i)].validation.tasks[\(j)].loss"))
            }
        }
        body += HTML.table(["task set"] + truth.tasks, rows)
        body += HTML.caption("Validation loss of each member task in each task set's network (lower is better); an empty cell: the task is not in the set. The optimum and the scores of every grouping are read from these networks.")
        return HTML.section("ground-truth", "Ground truth", body)
    }

    /// The sweep's trials ranked on validation, best first, with their test metrics.
    static func sweep(_ results: StudyResults) -> String? {
        guard let sweep = results.sweep, !sweep.trials.isEmpty || !(sweep.failed ?? []).isEmpty else { return nil }
        if sweep.trials.isEmpty {  // every trial failed: said, with why, rather than no section at all
            let failed = (sweep.failed ?? []).map { "<li><code>\(HTML.text(StudyConfig.Sweep.describe($0.settings)))</code>: <code>\(HTML.text($0.reason))</code></li>\n" }.joined()
            return HTML.section("sweep", "Hyper-parameter sweep",
                                "<p>Every trial failed, so none is ranked (search: \(HTML.text(sweep.search)), ranking on validation \(HTML.text(sweep.select))):</p>\n<ul>\n\(failed)</ul>\n")
        }
        let order = sweep.trials.indices.sorted { (sweep.trials[$0].rank, $0) < (sweep.trials[$1].rank, $1) }
        // Columns: each task's metrics, in the study's task order, as the first trial having it names them.
        var columns: [(task: String, metric: String)] = []
        for task in results.tasks.map(\.name) {
            guard let evaluation = sweep.trials.lazy.compactMap({ $0.network.test[task] }).first else { continue }
            columns += evaluation.metrics.map { (task, $0.name) }
        }
        let rows = order.map { i -> [Cell] in
            let trial = sweep.trials[i], path = "sweep.trials[\(i)]"
            let settings = StudyConfig.Sweep.describe(trial.settings)
            return [.raw(NumberFormat.html(trial.rank, "\(path).rank")), .raw("<code>\(HTML.text(settings))</code>", numeric: false),
                    .raw(NumberFormat.html(trial.validationScore, .value, "\(path).validationScore"))]
                + testMetrics(trial.network, columns, path: "\(path).network")
        }
        let caption = "Search: \(sweep.search). Trials ranked on validation by \(sweep.select) (\(sweep.higherIsBetter ? "higher" : "lower") is better), best first, "
            + "equal scores in the order the trials ran; test metrics for reference only, never for the choice."
        var failed = ""
        for trial in sweep.failed ?? [] {
            let settings = StudyConfig.Sweep.describe(trial.settings)
            failed += "<li>Failed, not ranked: <code>\(HTML.text(settings))</code>: <code>\(HTML.text(trial.reason))</code></li>\n"
        }
        let arrows = Dictionary(sweep.trials.flatMap { $0.network.test.tasks.flatMap { t in t.metrics.map { ("\(t.task).\($0.name)", $0.higherIsBetter ? "↑" : "↓") } } }) { a, _ in a }
        return HTML.section("sweep", "Hyper-parameter sweep",
                            HTML.table(["rank", "settings", "validation \(sweep.select) \(sweep.higherIsBetter ? "↑" : "↓")"]
                                       + columns.map { "test \($0.task) \($0.metric) \(arrows["\($0.task).\($0.metric)"] ?? "")" }, rows, rowHeaders: false) + HTML.caption(HTML.text(caption))
                            + (failed.isEmpty ? "" : "<ul>\n\(failed)</ul>\n"))
    }

    /// `network`'s test value of each (task, metric) column, each with its path (a dash where
    /// the network lacks it); `path` locates the network in results.json.
    static func testMetrics(_ network: StudyResults.Network, _ columns: [(task: String, metric: String)], path: String) -> [Cell] {
        columns.map { task, metric in
            guard let j = network.test.tasks.firstIndex(where: { $0.task == task }),
                  let k = network.test.tasks[j].metrics.firstIndex(where: { $0.name == metric }) else { return .raw(NumberFormat.html(nil as Double?, .value, "")) }
            return .raw(NumberFormat.html(network.test.tasks[j].metrics[k].value, .value, "\(path).test.tasks[\(j)].metrics[\(k)].value"))
        }
    }

    /// Pruned networks of all the tasks: sparsity asked and reached, Δm% against the dense
    /// network and against single-task networks, and each task's first test metric.
    static func pruning(_ results: StudyResults) -> String? {
        guard let pruned = results.pruning, !pruned.isEmpty else { return nil }
        var columns: [(task: String, metric: String, higher: Bool)] = []
        for task in results.tasks.map(\.name) {
            guard let metric = pruned.lazy.compactMap({ $0.network.test[task]?.metrics.first }).first else { continue }
            columns.append((task, metric.name, metric.higherIsBetter))
        }
        let single = pruned.contains { $0.network.deltaM != nil }
        let metricColumns = columns.map { (task: $0.task, metric: $0.metric) }
        var rows: [[Cell]] = []
        if let dense = results.pruningDense {
            rows.append([.text("dense (no pruning)"), .raw(""), .raw(""), .raw("")] + (single ? [.raw(NumberFormat.html(dense.deltaM?.improvement, .percent, "pruningDense.deltaM.improvement"))] : [])
                        + [.raw(NumberFormat.html(dense.testLoss, .value, "pruningDense.testLoss"))] + testMetrics(dense, metricColumns, path: "pruningDense"))
        }
        for (i, p) in pruned.enumerated() {
            let path = "pruning[\(i)]"
            rows.append([.text(p.method), .raw(NumberFormat.html(p.sparsity, .fraction, "\(path).sparsity")),
                         .raw(NumberFormat.html(p.trunkSparsity, .fraction, "\(path).trunkSparsity")),
                         .raw(NumberFormat.html(p.deltaMDense, .percent, "\(path).deltaMDense"))]
                        + (single ? [.raw(NumberFormat.html(p.network.deltaM?.improvement, .percent, "\(path).network.deltaM.improvement"))] : [])
                        + [.raw(NumberFormat.html(p.network.testLoss, .value, "\(path).network.testLoss"))] + testMetrics(p.network, metricColumns, path: "\(path).network"))
        }
        var caption = "Networks of all the tasks with most of the trunk's prunable weights removed, trained with their masks (pruned weights stay zero). "
        let methods = Set(pruned.map(\.method))
        let meanings = [("snip", "snip: one mask from the summed loss's SNIP scores at initialisation"),
                        ("disparse-static", "disparse-static: each task's SNIP mask at initialisation, the trunk keeping their union"),
                        ("disparse-dynamic", "disparse-dynamic: the same, then weights dropped by magnitude and regrown by each task's gradient during training"),
                        ("disparse-pt", "disparse-pt: the trained dense network pruned by the same rule, then fine-tuned for the study's epochs again, so it has twice the training of the others and of the dense network")]
        caption += meanings.filter { methods.contains($0.0) }.map(\.1).joined(separator: "; ") + ". "
        caption += "Sparsity: of the trunk's prunable weights, asked and reached (a layer the cut would empty keeps its best weight per row). "
            + "Δm% (positive is better) against the dense network" + (single ? " and against one network per task" : "") + "; summed test loss (lower is better); test metrics ("
            + columns.map { "\($0.task) \($0.metric) \($0.higher ? "↑" : "↓")" }.joined(separator: ", ") + ")."
        return HTML.section("pruning", "Pruning",
                            HTML.table(["method", "sparsity %", "reached %", "Δm% vs dense"] + (single ? ["Δm% vs single-task"] : []) + ["summed test loss"]
                                       + columns.map { "\($0.task) \($0.metric)" }, rows)
                            + HTML.caption(HTML.text(caption)))
    }

    /// Each finished step's time and how many networks it trained or found cached.
    static func timings(_ results: StudyResults) -> String? {
        guard !results.timings.isEmpty else { return nil }
        let rows = results.timings.enumerated().map { i, t -> [Cell] in
            [.text(t.step), .raw(NumberFormat.html(t.seconds, .seconds, "timings[\(i)].seconds")),
             .raw(NumberFormat.html(t.cpuSeconds, .seconds, "timings[\(i)].cpuSeconds")),
             .raw(NumberFormat.html(t.trained, "timings[\(i)].trained")), .raw(NumberFormat.html(t.cached, "timings[\(i)].cached"))]
        }
        return HTML.section("timings", "Timings", HTML.table(["step", "wall s", "CPU s", "networks trained", "cached"], rows)
                            + HTML.caption("Per step, in run order: wall-clock and CPU seconds (every thread's), and the networks the step trained or found already trained."))
    }
}
