import MultiTask

/// The report's chart sections: training curves, affinity heatmaps and the task-vector study, each
/// chart with a caption that says what is drawn and which way to read it.
enum ReportCharts {
    typealias Cell = HTML.Cell

    /// Per task, one panel of loss against epoch for every network that learns the task.
    static func curves(_ results: StudyResults) -> String? {
        let networks = (results.baselines ?? []).map { ("single-task", $0) } + (results.multitask ?? []).map { ($0.label, $0) }
        var panels = ""
        for task in results.tasks.map(\.name) {
            let learning = networks.filter { $0.1.tasks.contains(task) && !$0.1.curves.isEmpty }
            // Each network in its own colour: validation solid, training dashed.
            func series(_ suffix: String, dashed: Bool, _ loss: (StudyResults.EpochPoint) -> Double?) -> [LineChart.Series] {
                learning.enumerated().compactMap { k, entry in
                    let (label, network) = entry
                    let points = network.curves.compactMap { p in loss(p).map { (x: Double(p.epoch), y: $0) } }
                    guard !points.isEmpty else { return nil }
                    var line = LineChart.Series(name: "\(label) \(suffix)", points: points)
                    (line.dashed, line.colour) = (dashed, k)
                    return line
                }
            }
            let validation = series("val", dashed: false) { $0.validationLoss[task] }, training = series("train", dashed: true) { $0.trainLoss[task] }
            guard !validation.isEmpty || !training.isEmpty else { continue }
            var chart = LineChart(title: task, xLabel: "epoch", yLabel: "loss", series: validation + training)
            chart.markers = validation.allSatisfy { $0.points.count < 2 }
            chart.integerX = true
            panels += HTML.figure(chart.svg, caption: "<strong>\(HTML.text(task))</strong>: validation loss (val, solid) and mean training loss over the epoch (train, dashed) per epoch, "
                                  + (results.baselines == nil ? "for each multi-task method. Lower is better." : "for the single-task network and each multi-task method that learns it. Lower is better."))
        }
        guard !panels.isEmpty else { return nil }
        return HTML.section("curves", "Training curves", "<div class=\"grid\">\n\(panels)</div>\n")
    }

    /// `matrix` with rows and columns in `order` (tasks it lacks are skipped, tasks not in
    /// `order` follow in its own order): the labels and, per shown row/column, the stored index.
    static func reordered(_ matrix: AffinityMatrix, _ order: [String]) -> (labels: [String], index: [Int]) {
        let index = order.compactMap { matrix.tasks.firstIndex(of: $0) } + matrix.tasks.indices.filter { !order.contains(matrix.tasks[$0]) }
        return (index.map { matrix.tasks[$0] }, index)
    }

    /// How to read a matrix's rows and columns.
    static func orientation(_ matrix: AffinityMatrix) -> String {
        matrix.orientation == .sourceToTarget ? "row = source task, column = target task" : "row = target task, column = source task"
    }

    /// A heatmap of `matrix` in the study's task order, its caption, and its values as a table.
    static func heatmap(_ matrix: AffinityMatrix, path: String, order: [String], caption: String) -> String {
        let (labels, index) = reordered(matrix, order)
        var map: Heatmap
        if matrix.lowerIsBetter == true {
            // Losses differ in scale between tasks: drawn as the target's relative gain, in %.
            let gains = index.map { i in index.map { j in i == j ? Double.nan : (matrix.values[j][j] - matrix.values[i][j]) / matrix.values[j][j] * 100 } }
            map = Heatmap(title: "\(matrix.method): relative gain of the target, %", labels: labels, values: gains, orientation: orientation(matrix))
            map.digits = 1
        } else {
            map = Heatmap(title: matrix.method, labels: labels, values: index.map { i in index.map { j in matrix.values[i][j] } }, orientation: orientation(matrix))
            map.scaleOffDiagonal = true
        }
        let rows = index.map { i -> [Cell] in
            [.text(matrix.tasks[i])] + index.map { j in .raw(NumberFormat.html(matrix.values[i][j], .value, "\(path).values[\(i)][\(j)]")) }
        }
        let table = "<details><summary>values as a table (\(HTML.text(orientation(matrix))))</summary>\n" + HTML.table([""] + labels, rows) + "</details>\n"
        return HTML.figure(map.svg, caption: caption) + table
    }

    /// What a cell of each estimator's matrix means.
    static let meaning: [String: String] = [
        "tag": "TAG's lookahead (<cite>Fifty et al. 2021</cite>): each cell is the relative drop of the target task's loss after a step on the source task's gradient alone, "
            + "<code>1 − L(target after the step) / L(target before)</code>; higher means more helpful. ",
        "first-order": "TAG's lookahead to first order: each cell is the inner product of the source task's update with the target task's gradient, over the target's loss; higher means more helpful. ",
        "cosine": "Gradient cosine: each cell is the cosine between the two tasks' gradients of the shared weights, averaged over training (symmetric); higher means more aligned. ",
        "fisher": "Fisher task embeddings (Task2Vec, <cite>Achille et al. 2019</cite>): each cell is the similarity of the two tasks' diagonal Fisher information on the trunk (symmetric); higher means more similar. ",
        "snip-iou": "Per-task SNIP masks at initialisation: each cell is the overlap (intersection over union) of the two tasks' masks on the trunk (symmetric); higher means the tasks need the same weights. ",
        "snip-rank": "Per-task SNIP scores at initialisation: each cell is Spearman's rank correlation of the two tasks' scores on the trunk (symmetric); higher means more similar. ",
    ]

    /// One heatmap per affinity matrix, side by side, all in the study's task order.
    static func affinity(_ results: StudyResults) -> String? {
        guard let matrices = results.affinity, !matrices.isEmpty else { return nil }
        let order = results.tasks.map(\.name)
        let panels = matrices.enumerated().map { a, matrix in
            let path = "affinity[\(a)]"
            var caption = "<strong>\(HTML.text(matrix.method))</strong> (\(HTML.text(orientation(matrix)))). "
            if matrix.lowerIsBetter == true {
                caption += "Pairwise training: each cell is the target task's relative gain in % when trained together with the source task, "
                    + "(L(target alone) − L(target with source)) / L(target alone) on validation; higher means more helpful. "
                    + "The table below holds the losses themselves (the diagonal: alone; lower is better). "
            } else {
                caption += Self.meaning[matrix.method] ?? "Each cell is the effect of the source task on the target task; higher means more helpful. "
                caption += "The diagonal (a task on itself) is printed on grey, outside the colour scale. "
            }
            caption += "Blue is the lowest value, red the highest, white zero when signs mix; grey: no value. "
            if !matrix.settings.isEmpty {
                caption += "Settings: " + HTML.text(StudyConfig.Sweep.describe(matrix.settings, separator: ", ")) + ". "
            }
            caption += "Estimated in \(NumberFormat.html(matrix.seconds, .seconds, "\(path).seconds")) s beyond training"
            caption += matrix.computeSeconds.map { "; all its compute \(NumberFormat.html($0, .seconds, "\(path).computeSeconds")) CPU s." } ?? "."
            return heatmap(matrix, path: path, order: order, caption: caption)
        }
        return HTML.section("affinity", "Task affinity", "<div class=\"grid\">\n<div>" + panels.joined(separator: "</div>\n<div>") + "</div>\n</div>\n")
    }

    /// Task vectors: norms, cosines, each vector's α sweep and task addition.
    static func taskVectors(_ results: StudyResults) -> String? {
        guard let study = results.taskVectors else { return nil }
        let path = "taskVectors"
        var body = ""
        let rows = study.tasks.indices.map { t -> [Cell] in
            let higher = t < study.higherIsBetter.count ? study.higherIsBetter[t] : true
            return [.text(study.tasks[t]), .text(t < study.metrics.count ? ReportTables.metricLabel(study.metrics[t], higherIsBetter: higher) : ""),
                    .raw(NumberFormat.html(study.baselineValidation[safe: t], .value, "\(path).baselineValidation[\(t)]")),
                    .raw(NumberFormat.html(study.baselineTest[safe: t], .value, "\(path).baselineTest[\(t)]")),
                    .raw(NumberFormat.html(study.norms[safe: t], .value, "\(path).norms[\(t)]")),
                    .raw(NumberFormat.html(study.alignment[safe: t], .value, "\(path).alignment[\(t)]"))]
        }
        body += HTML.table(["task", "metric", "fine-tuned validation", "fine-tuned test", "norm ‖τ‖", "alignment (SAR)"], rows)
        body += HTML.caption("τ: the task's fine-tuned weights minus the pre-trained ones (shared layers only). The fine-tuned models' metrics are the baselines "
                             + "that normalise the curves below. SAR: how much of the task vector lies in the subspace of the sum of all task vectors.")
        let order = results.tasks.map(\.name).filter(study.tasks.contains) + study.tasks.filter { name in !results.tasks.contains { $0.name == name } }
        body += "<h3>Cosine similarity</h3>\n"
        body += heatmap(study.cosine, path: "\(path).cosine", order: order,
                        caption: "Cosine similarity between task vectors (symmetric; \(HTML.text(orientation(study.cosine)))): near zero, the tasks change the shared weights in unrelated directions; negative, in opposed ones.")
        var panels = ""
        for (t, sweep) in study.sweeps.enumerated() where t < study.tasks.count && !sweep.isEmpty {
            let series = study.tasks.indices.map { k in
                LineChart.Series(name: study.tasks[k], points: sweep.compactMap { p in k < p.test.count ? (x: p.alpha, y: p.test[k].normalized) : nil })
            }
            let chart = LineChart(title: "τ of \(study.tasks[t])", xLabel: "α", yLabel: "normalised test metric", series: series, reference: 1)
            panels += HTML.figure(chart.svg, caption: "Pre-trained weights plus α times <strong>\(HTML.text(study.tasks[t]))</strong>'s task vector, evaluated on every task "
                                  + "with each task's own head. Each task's test metric is normalised by its fine-tuned model (dashed line: as good as fine-tuning on that task alone; higher is better).")
        }
        if !study.addition.isEmpty {
            let chart = LineChart(title: "task addition", xLabel: "α", yLabel: "mean normalised metric",
                                  series: [.init(name: "validation", points: study.addition.map { (x: $0.alpha, y: $0.validationMean) }),
                                           .init(name: "test", points: study.addition.map { (x: $0.alpha, y: $0.testMean) })], reference: 1)
            panels += HTML.figure(chart.svg, caption: "Pre-trained weights plus α times the sum of all task vectors: the mean over the tasks of the normalised metric. "
                                  + "α is chosen on validation: \(NumberFormat.html(study.chosenAlpha, .alpha, "\(path).chosenAlpha")).")
        }
        if let merges = study.merges, !merges.isEmpty, !study.addition.isEmpty {
            var lines = [LineChart.Series(name: "task addition", points: study.addition.map { (x: $0.alpha, y: $0.testMean) })]
            lines += merges.map { merge in LineChart.Series(name: merge.method.rawValue, points: merge.points.map { (x: $0.alpha, y: $0.testMean) }) }
            let chart = LineChart(title: "merge methods", xLabel: "α", yLabel: "mean normalised test metric", series: lines, reference: 1)
            panels += HTML.figure(chart.svg, caption: "Pre-trained weights plus α times the task vectors merged by each method (task addition: their sum; TIES: trimmed to the "
                                  + "largest entries, signs elected, agreeing entries averaged; DARE: entries dropped at random and the rest rescaled): the mean normalised test metric.")
        }
        if !panels.isEmpty { body += "<h3>α sweeps</h3>\n<div class=\"grid\">\n\(panels)</div>\n" }
        if let merges = study.merges, !merges.isEmpty {
            let rows = merges.enumerated().map { m, merge -> [Cell] in
                let at = "\(path).merges[\(m)]"
                return [.text(merge.method.rawValue), .raw(NumberFormat.html(merge.chosenAlpha, .alpha, "\(at).chosenAlpha")),
                        .raw(NumberFormat.html(merge.validationMean, .value, "\(at).validationMean")), .raw(NumberFormat.html(merge.testMean, .value, "\(at).testMean"))]
            }
            body += "<h3>Merge methods</h3>\n" + HTML.table(["method", "α (chosen on validation)", "mean normalised validation", "mean normalised test"], rows)
            body += HTML.caption(HTML.text("Each method's α is chosen on validation's mean normalised metric; a value of one is as good as each task's own fine-tuned model."
                                           + (study.settings.density.map { _ in " TIES and DARE keep the fraction of entries given by the study's density setting." } ?? "")))
        }
        if let p = study.addition.firstIndex(where: { $0.alpha == study.chosenAlpha }) {
            let point = study.addition[p]
            let rows = study.tasks.indices.compactMap { k -> [Cell]? in
                guard k < point.test.count else { return nil }
                let at = "\(path).addition[\(p)].test[\(k)]"
                return [.text(study.tasks[k]), .raw(NumberFormat.html(point.test[k].value, .value, "\(at).value")),
                        .raw(NumberFormat.html(point.test[k].normalized, .value, "\(at).normalized"))]
            }
            body += "<h3>Task addition at the chosen α = \(NumberFormat.html(point.alpha, .alpha, "\(path).addition[\(p)].alpha"))</h3>\n"
            body += HTML.table(["task", "test metric", "normalised"], rows)
        }
        return HTML.section("task-vectors", "Task vectors", body)
    }
}

extension Array {
    /// The element at `index`, or nil past the end (a results file from an older format).
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
