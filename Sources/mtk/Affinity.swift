import ArgumentParser
import Foundation
import Files
import MultiTask
import NN

/// `mtk affinity`: train once and measure how tasks affect each other, by every chosen method.
struct Affinity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure task affinity during one training run: TAG lookahead, its first-order form, gradient cosine.",
        discussion: "Takes every option of mtk train. Matrices are rows = source task, columns = target task: the effect of the row task's update on the column task. With -o, each is written to DIR/affinity/METHOD.json and .csv.")

    @OptionGroup var options: TrainingOptions
    @Option(help: "Comma-separated methods: tag, first-order, cosine, fisher.") var method = "tag,first-order,cosine"
    @Option(parsing: .unconditional, help: "Sample every K steps [10 for tag and first-order, 1 for cosine].") var every: Int?
    @Flag(help: "Divide TAG's and first-order values by the learning rate (TAG's option).") var divideByLr = false
    @Flag(help: "Sum the per-epoch means instead of averaging them (TAG's option).") var sumOfEpochMeans = false
    @Flag(help: "Gradient cosine over weight matrices only (rank ≥ 2), as TAG's code.") var matricesOnly = false
    @Flag(help: "With -o, also write every sample as a JSON line (DIR/affinity/steps.jsonl).") var perStep = false
    @Option(parsing: .unconditional, help: "Fisher: examples of the training set to average over [500].") var fisherExamples = 500
    @Flag(help: "Fisher: use the data's labels (empirical Fisher) instead of labels drawn from the model.") var fisherEmpirical = false
    @Option(help: "TAG from groups of source tasks, e.g. 'class+upper,footwear+footwear_noisy': each group's update on every task.") var groups: String?

    func run() throws {
        let methods = method.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let known = ["tag", "first-order", "cosine", "fisher"]
        if let unknown = methods.first(where: { !known.contains($0) }) { throw ValidationError("--method: unknown method '\(unknown)' (known: \(known.joined(separator: ", ")))") }
        if let every, every < 1 { throw ValidationError("--every must be at least 1, got \(every)") }
        let config = options.apply(to: RunConfig())
        try config.validate()
        if let tasks = config.data?.tasks, tasks.count < 2 { throw ValidationError("--tasks: affinity needs at least two tasks, got \(tasks.joined(separator: ", "))") }
        var lookahead = TAGLookahead.Settings()
        (lookahead.every, lookahead.divideByLearningRate, lookahead.sumOfEpochMeans) = (every ?? 10, divideByLr, sumOfEpochMeans)
        var cosine = GradientCosine.Settings()
        (cosine.every, cosine.matricesOnly) = (every ?? 1, matricesOnly)
        if fisherExamples < 1 { throw ValidationError("--fisher-examples must be at least 1, got \(fisherExamples)") }
        var fisher = FisherEmbedding.Settings()
        (fisher.examples, fisher.empirical, fisher.seed) = (fisherExamples, fisherEmpirical, config.training.seed)
        let prepared = try PreparedData(config.data!)
        let tasks = prepared.tasks.map(\.name)
        guard tasks.count >= 2 else { throw ValidationError("affinity needs at least two tasks; the data has \(tasks.joined(separator: ", "))") }
        let estimators: [any AffinityEstimator] = Array(Set(methods)).sorted().map { name in
            switch name {
            case "tag": TAGLookahead(tasks: tasks, settings: lookahead)
            case "first-order": FirstOrderLookahead(tasks: tasks, settings: lookahead)
            case "fisher": FisherAffinity(tasks: tasks, settings: fisher)
            default: GradientCosine(tasks: tasks, settings: cosine)
            }
        }
        if perStep {
            guard options.output != nil else { throw ValidationError("--per-step writes DIR/affinity/steps.jsonl: give the run directory with -o") }
            estimators.forEach { $0.keepSamples() }
        }
        let groupEstimator = try groups.map { text in
            try TAGGroupLookahead(tasks: tasks, groups: text.split(separator: ",").map { $0.split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) } },
                                  settings: lookahead)
        }
        let results = try options.start(config, prepared: prepared, observers: estimators + (groupEstimator.map { [$0] } ?? []),
                                        onEvent: TrainingOptions.progressAndSignals())
        if results.summary.resumable {
            print("stopped after \(results.summary.steps) steps: the matrices cover the steps trained so far (an affinity run is not resumed)")
        }
        let colour = isatty(1) != 0
        if let groupEstimator {
            print("tag groups: row = source group, column = target task; 'members' = the mean over the group's own tasks")
            let values = groupEstimator.values(), scores = groupEstimator.memberScores()
            for (g, group) in groupEstimator.groups.enumerated() {
                print(group.joined(separator: "+") + ": " + zip(tasks, values[g]).map { "\($0) \(String(format: "%.4f", $1))" }.joined(separator: "  ")
                      + "  | members \(String(format: "%.4f", scores[g]))")
            }
            print("")
        }
        for estimator in estimators {
            let matrix = estimator.matrix()
            print(matrix.table(colour: colour))
            print((matrix.steps.isEmpty ? "measured on the trained network" : "sampled at \(matrix.steps.count) steps") + ", \(String(format: "%.1f", matrix.seconds)) s\n")
            if let output = options.output {
                let folder = URL(fileURLWithPath: output).appendingPathComponent("affinity")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try matrix.writeJSON(to: folder.appendingPathComponent("\(matrix.method).json"))
                try AtomicWrite.write(Data(matrix.csv.utf8), to: folder.appendingPathComponent("\(matrix.method).csv"))
            }
        }
        if perStep, let output = options.output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            var lines = ""
            for estimator in estimators {
                for sample in estimator.samples() {
                    let record = StepRecord(method: estimator.matrix().method, step: sample.step, tasks: tasks, values: sample.values)
                    lines += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
                }
            }
            try AtomicWrite.write(Data(lines.utf8), to: URL(fileURLWithPath: output).appendingPathComponent("affinity/steps.jsonl"))
        }
    }

    /// One line of `steps.jsonl`: a method's sample at a step (rows = source task).
    private struct StepRecord: Encodable {
        var method: String, step: Int, tasks: [String], values: [[Double]]
    }
}
