import ArgumentParser
import Files
import Foundation
import MultiTask
import NN

/// `mtk affinity`: train once and measure how tasks affect each other, by every chosen method.
struct Affinity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure task affinity during one training run: TAG lookahead, its first-order form, gradient cosine, Fisher embeddings.",
        discussion: "Takes every option of mtk train. Matrices are rows = source task, columns = target task: the effect of the row task's update on the column task. With -o, each is written to DIR/affinity/METHOD.json and .csv; a stopped run continues with --resume -o DIR.")

    @OptionGroup var options: TrainingOptions
    @Flag(help: "Continue the affinity run in --output where it stopped (its estimators' sums are in the snapshot).") var resume = false
    @Option(help: "Comma-separated methods: tag, first-order, cosine, fisher [tag,first-order,cosine].") var method: String?
    @Option(parsing: .unconditional, help: "Sample every K steps [10 for tag and first-order, 1 for cosine].") var every: Int?
    @Flag(help: "Divide TAG's and first-order values by the learning rate (TAG's option).") var divideByLr = false
    @Flag(help: "Sum the per-epoch means instead of averaging them (TAG's option).") var sumOfEpochMeans = false
    @Flag(help: "Gradient cosine over weight matrices only (rank ≥ 2), as TAG's code.") var matricesOnly = false
    @Flag(help: "With -o, also write every sample as a JSON line (DIR/affinity/steps.jsonl).") var perStep = false
    @Option(parsing: .unconditional, help: "Fisher: examples of the training set to average over [500].") var fisherExamples: Int?
    @Flag(help: "Fisher: use the data's labels (empirical Fisher) instead of labels drawn from the model.") var fisherEmpirical = false
    @Option(parsing: .unconditional, help: "Fisher: first refit each head on the frozen trunk for N full-batch Adam steps, as Task2Vec fits its probe's classifier [0: the trained heads].") var fisherHeadSteps: Int?
    @Flag(help: "Fisher: compare every weight's Fisher (default: Task2Vec's mean per filter).") var fisherPerWeight = false
    @Option(help: "TAG from groups of source tasks, e.g. 'class+upper,footwear+footwear_noisy': each group's update on every task.") var groups: String?

    func run() throws {
        var request = AffinityRequest()
        if let method { request.methods = method.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        (request.every, request.divideByLearningRate, request.sumOfEpochMeans, request.matricesOnly) = (every, divideByLr, sumOfEpochMeans, matricesOnly)
        (request.fisherEmpirical, request.perStep) = (fisherEmpirical, perStep)
        if let fisherExamples { request.fisherExamples = fisherExamples }
        (request.fisherHeadSteps, request.fisherPerWeight) = (fisherHeadSteps == 0 ? nil : fisherHeadSteps, fisherPerWeight ? true : nil)
        request.groups = groups.map { $0.split(separator: ",").map { $0.split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) } } }
        if perStep && options.output == nil { throw ValidationError("--per-step writes DIR/affinity/steps.jsonl: give the run directory with -o") }
        let onEvent = TrainingOptions.progressAndSignals()
        let results: RunResults, estimators: [any AffinityEstimator], groupEstimator: TAGGroupLookahead?, tasks: [String], writeSteps: Bool
        if resume {
            let (directory, saved, requested) = try options.resumeRequest()
            guard let savedRequest = saved.affinity else { throw ValidationError("\(directory.path) holds a training run, not an affinity run: continue it with mtk train --resume") }
            try checkUnchanged(request, saved: savedRequest, directory: directory)
            tasks = try RunDirectory.reading(directory).readSpecTasks()
            writeSteps = savedRequest.perStep
            (estimators, groupEstimator) = try savedRequest.estimators(tasks: tasks, seed: saved.training.seed)
            results = try Experiment.resume(directory: directory, requested: requested, observers: estimators + (groupEstimator.map { [$0] } ?? []),
                                            onEvent: onEvent, shouldStop: { Interruption.requested })
        } else {
            try request.validate()
            var config = options.apply(to: RunConfig())
            config.affinity = request
            try config.validate()
            if let named = config.data?.tasks, named.count < 2 { throw ValidationError("--tasks: affinity needs at least two tasks, got \(named.joined(separator: ", "))") }
            let prepared = try PreparedData(config.data!)
            tasks = prepared.tasks.map(\.name)
            writeSteps = perStep
            (estimators, groupEstimator) = try request.estimators(tasks: tasks, seed: config.training.seed)
            results = try options.start(config, prepared: prepared, observers: estimators + (groupEstimator.map { [$0] } ?? []), onEvent: onEvent)
        }
        if results.summary.resumable {
            print("stopped after \(results.summary.steps) steps: the matrices cover the steps so far" + (options.output.map { "; continue with: mtk affinity --resume -o \($0)" } ?? ""))
        }
        let history = results.summary.history
        try report(estimators, groupEstimator, tasks: tasks, perStep: writeSteps,
                   trainingCPUSeconds: CPUTime.total(history.map(\.cpuSeconds)))
    }

    /// Prints every matrix and, with -o, writes them (and the per-step samples).
    private func report(_ estimators: [any AffinityEstimator], _ groupEstimator: TAGGroupLookahead?, tasks: [String], perStep: Bool, trainingCPUSeconds: Double?) throws {
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
        let folder = options.output.map { URL(fileURLWithPath: $0).appendingPathComponent("affinity") }
        if let folder { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        if let groupEstimator, let folder {
            let record = GroupRecord(groups: groupEstimator.groups, tasks: tasks, values: groupEstimator.values(), memberScores: groupEstimator.memberScores(),
                                     orientation: "row-source-group-column-target-task")
            try AtomicWrite.write(try RunJSON.encoder(pretty: true).encode(record), to: folder.appendingPathComponent("tag-groups.json"))
        }
        var lines = ""
        let encoder = RunJSON.encoder()
        for estimator in estimators {
            var matrix = estimator.matrix()
            // The run's CPU (its observers' sampling included) and that of a probe after it (Fisher).
            matrix.computeSeconds = trainingCPUSeconds.map { $0 + (matrix.computeSeconds ?? 0) }
            print(matrix.table(colour: colour))
            print((matrix.steps.isEmpty ? "measured on the trained network" : "sampled at \(matrix.steps.count) steps") + ", \(String(format: "%.1f", matrix.seconds)) s\n")
            guard let folder else { continue }
            try matrix.writeJSON(to: folder.appendingPathComponent("\(matrix.method).json"))
            try AtomicWrite.write(Data(matrix.csv.utf8), to: folder.appendingPathComponent("\(matrix.method).csv"))
            for sample in estimator.samples() {
                lines += String(decoding: try encoder.encode(StepRecord(method: matrix.method, step: sample.step, tasks: tasks, values: sample.values)), as: UTF8.self) + "\n"
            }
        }
        if perStep, let folder { try AtomicWrite.write(Data(lines.utf8), to: folder.appendingPathComponent("steps.jsonl")) }
    }

    /// `tag-groups.json`: each source group's effect on every task, and on its own members.
    private struct GroupRecord: Encodable {
        var groups: [[String]], tasks: [String], values: [[Double]], memberScores: [Double], orientation: String
    }

    /// One line of `steps.jsonl`: a method's sample at a step (rows = source task).
    private struct StepRecord: Encodable {
        var method: String, step: Int, tasks: [String], values: [[Double]]
    }

    /// The affinity options given with --resume must be the run's own: its estimators' sums are
    /// of what it was started with.
    private func checkUnchanged(_ given: AffinityRequest, saved: AffinityRequest, directory: URL) throws {
        var differences: [String] = []
        func compare<T: Equatable>(_ option: String, _ isGiven: Bool, _ mine: T?, _ theirs: T?) {
            func text(_ value: T?) -> String { value.map { "\($0)" } ?? "unset" }
            if isGiven && mine != theirs { differences.append("\(option) \(text(mine)) given, the run has \(text(theirs))") }
        }
        compare("--method", method != nil, given.methods.joined(separator: ","), saved.methods.joined(separator: ","))
        compare("--every", every != nil, given.every, saved.every)
        compare("--divide-by-lr", divideByLr, true, saved.divideByLearningRate)
        compare("--sum-of-epoch-means", sumOfEpochMeans, true, saved.sumOfEpochMeans)
        compare("--matrices-only", matricesOnly, true, saved.matricesOnly)
        compare("--per-step", perStep, true, saved.perStep)
        compare("--fisher-examples", fisherExamples != nil, given.fisherExamples, saved.fisherExamples)
        compare("--fisher-empirical", fisherEmpirical, true, saved.fisherEmpirical)
        compare("--fisher-head-steps", fisherHeadSteps != nil, given.fisherHeadSteps ?? 0, saved.fisherHeadSteps ?? 0)
        compare("--fisher-per-weight", fisherPerWeight, true, saved.fisherPerWeight ?? false)
        compare("--groups", groups != nil, given.groups?.map { $0.joined(separator: "+") }.joined(separator: ","), saved.groups?.map { $0.joined(separator: "+") }.joined(separator: ","))
        guard differences.isEmpty else {
            throw ValidationError("--resume continues \(directory.path) with the affinity settings it was started with; these differ: \(differences.joined(separator: "; ")). Leave them out, or start a new run")
        }
    }

}
