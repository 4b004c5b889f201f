import Data
import Files
import Foundation
import NN
import Tensors

/// Runs a study (`StudyConfig`) into its run directory, step by step: single-task baselines,
/// multi-task methods, the ground truth, affinity estimators, task vectors, grouping and the
/// sweep. Every network is a cached unit (`TaskSetTraining`), so steps share networks, an
/// interrupted study resumes where it stopped and a finished step is never run again.
///
/// ```
/// runs/NAME/
///   study.yaml     the config as run (verbatim); study.json, the same parsed (checked on resume)
///   results.json   every finished step's results (`StudyResults`; `complete` when all are done)
///   networks/      the trained networks, one run directory each (checkpoints, metrics.jsonl)
///   affinity/      the affinity estimators' training run and their matrices
///   task-vectors/  the fine-tuned models, when task vectors start from a checkpoint
///   lock           held while a process runs the study
/// ```
public final class StudyRunner {
    public let config: StudyConfig
    public let directory: URL
    let yaml: String
    let version: String
    let data: PreparedData
    let spec: ModelSpec
    let dropUnusedHeads: Bool
    let tasks: [String]
    /// The networks of the study's own training settings.
    let units: TaskSetTraining
    let cache: URL
    private let lock: RunLock
    /// Log lines (steps and networks); training progress goes to `onEvent`.
    public var log: (String) -> Void = { _ in }
    public var onEvent: ((TrainingEvent) -> Void)?
    public var shouldStop: () -> Bool = { false }
    /// Called with the results after every finished step (to write the report).
    public var onResults: (StudyResults) throws -> Void = { _ in }

    /// Reads and checks the study in `file`, loads its data and checks everything against it
    /// before any training; `output` defaults to `runs/NAME`. A directory holding a study with
    /// another config is an error unless `overwrite`. `dataDirectory` replaces the config's
    /// folder of image files (another copy of the data set, or MNIST for a Fashion-MNIST study).
    public convenience init(file: URL, output: URL? = nil, overwrite: Bool = false, dataDirectory: String? = nil, version: String) throws {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw ConfigurationError("\(file.path): cannot read the study file (\(FileManager.default.fileExists(atPath: file.path) ? "not UTF-8 text, or unreadable" : "no such file"))")
        }
        var config = try StudyConfig.parse(yaml: text, source: file.path, base: file.deletingLastPathComponent())
        if let dataDirectory {
            config.data.dataDirectory = dataDirectory
            do { try config.data.validate() } catch let error as ConfigurationError { throw ConfigurationError("--data-dir: \(error.message)") }
        }
        try self.init(config: config, yaml: text, output: output, overwrite: overwrite, version: version)
    }

    public init(config: StudyConfig, yaml: String, output: URL? = nil, overwrite: Bool = false, version: String) throws {
        self.config = config
        (self.yaml, self.version) = (yaml, version)
        directory = output ?? URL(fileURLWithPath: "runs").appendingPathComponent(config.name)
        let threads = config.training.threads ?? ComputeThreads.count
        var training = config.training
        training.threads = threads
        (data, spec, dropUnusedHeads) = try ComputeThreads.with(threads) { () throws -> (PreparedData, ModelSpec, Bool) in
            (try PreparedData(config.data), try ModelSpec.resolve(config.model), ModelSpec.builtIn[config.model] != nil)
        }
        tasks = data.tasks.map(\.name)
        try Self.check(config, tasks: tasks)
        cache = config.cache.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("networks")
        // Every training setting the study will use, against the data and the model.
        units = try TaskSetTraining(data: data, spec: spec, training: training, root: cache, dropUnusedHeads: dropUnusedHeads)
        for method in config.steps.multitask ?? [] {
            var settings = try StudyConfig.training(training, method: method)
            settings.threads = threads
            do { try settings.validate(tasks: data.tasks) } catch let error as ConfigurationError { throw ConfigurationError("steps.multitask: '\(method)': \(error.message)") }
        }
        if let select = config.sweep?.select, select != "loss" {
            var probe = training
            probe.selection = select
            do {
                guard !["fisher", "last"].contains(select) else { throw ConfigurationError("expected 'loss' or TASK.METRIC, got '\(select)'") }
                try probe.validate(tasks: data.tasks)
            } catch let error as ConfigurationError { throw ConfigurationError("sweep.select: \(error.message)") }
        }
        for trial in config.sweep?.settings() ?? [] {
            do { _ = try StudyConfig.Sweep.apply(trial, to: training, checkTasks: tasks.count).validate(tasks: data.tasks) } catch let error as ConfigurationError {
                throw ConfigurationError("sweep: the trial \(trial.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")): \(error.message)")
            }
        }
        // A folder that is not a study is never touched (not even by a lock file).
        if FileManager.default.fileExists(atPath: directory.path), !FileManager.default.fileExists(atPath: directory.appendingPathComponent("study.json").path) {
            let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !["lock", "networks"].contains($0) && !$0.hasPrefix(".") }
            if !contents.isEmpty {
                throw ConfigurationError("\(directory.path) is not empty and holds no study (it has \(contents.sorted().prefix(5).joined(separator: ", "))): give another -o")
            }
        }
        try RunDirectory.makeDirectory(directory)
        lock = try RunLock(directory: directory)
        try adopt(overwrite: overwrite)
    }

    /// The checks that need the data's tasks.
    static func check(_ config: StudyConfig, tasks: [String]) throws {
        let n = tasks.count, steps = config.steps
        let needsPairs = [("steps.multitask", steps.multitask != nil), ("steps.affinity", steps.affinity != nil), ("steps.ground_truth", steps.groundTruth),
                          ("steps.grouping", steps.grouping != nil)]
        if n < 2, let (key, _) = needsPairs.first(where: \.1) { throw ConfigurationError("\(key): needs at least two tasks; the data has \(tasks.joined(separator: ", "))") }
        if steps.groundTruth && n > GroundTruth.maxTasks {
            throw ConfigurationError("steps.ground_truth: \(n) tasks need \((1 << n) - 1) networks; the ground truth is for at most \(GroundTruth.maxTasks) tasks")
        }
        if let grouping = steps.grouping {
            if let bad = grouping.budgets.first(where: { $0 > n }) { throw ConfigurationError("steps.grouping.budgets: \(bad) networks for \(n) tasks; a budget is at most one network per task") }
            if steps.affinity == nil && steps.taskVectors == nil && !steps.groundTruth {
                throw ConfigurationError("steps.grouping: no estimator to choose groups with; add steps.affinity (or task_vectors, or ground_truth)")
            }
        }
        if let affinity = steps.affinity, affinity.estimators.contains("esa") && config.training.epochs == 1 {
            throw ConfigurationError("steps.affinity: esa trains for a fraction of the epochs, and the study trains for 1 epoch: esa would be pairwise training")
        }
    }

    /// Takes over the run directory: a new study, the same study resumed, or (with `overwrite`)
    /// another study's files replaced. Trained networks stay in the cache either way.
    private func adopt(overwrite: Bool) throws {
        let saved = directory.appendingPathComponent("study.json")
        let files = ["study.yaml", "study.json", "results.json", "summary.md", "report.html", "affinity", "task-vectors", "pruning"]
        if FileManager.default.fileExists(atPath: saved.path) {
            let before = try RunDirectory.readJSON(StudyConfig.self, from: saved, what: "study config")
            if before != config {
                guard overwrite else {
                    throw ConfigurationError("\(directory.path) holds the study '\(before.name)' run with another config (\(Self.differences(before, config).joined(separator: ", ")) differ): resume it with its own config, give another name or -o, or replace it with --overwrite")
                }
                for name in files { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
            }
        }
        if !FileManager.default.fileExists(atPath: saved.path) {
            try AtomicWrite.write(Data(yaml.utf8), to: directory.appendingPathComponent("study.yaml"))
            try RunDirectory.writeJSON(config, to: saved)  // last: a directory with study.json has its study.yaml
        }
    }

    /// The top-level sections in which two configs differ.
    static func differences(_ a: StudyConfig, _ b: StudyConfig) -> [String] {
        var out: [String] = []
        if a.name != b.name { out.append("name") }
        if a.data != b.data { out.append("data") }
        if a.model != b.model { out.append("model") }
        if a.training != b.training { out.append("training") }
        if a.cache != b.cache { out.append("cache") }
        if a.steps != b.steps { out.append("steps") }
        if a.sweep != b.sweep { out.append("sweep") }
        if a.description != b.description { out.append("description") }
        return out
    }

    var resultsFile: URL { directory.appendingPathComponent("results.json") }

    /// Runs every step not yet done; nil when stopped (run again to continue).
    public func run() throws -> StudyResults? {
        var results: StudyResults
        if FileManager.default.fileExists(atPath: resultsFile.path) {
            results = try RunDirectory.readJSON(StudyResults.self, from: resultsFile, what: "study results")
            guard results.name == config.name, results.tasks.map(\.name) == tasks else {
                throw RunDirectoryError.corrupt(path: resultsFile.path, reason: "holds the results of another study (\(results.name))")
            }
        } else {
            results = StudyResults(name: config.name, description: config.description, version: version, configYAML: yaml,
                                   tasks: data.tasks.map { StudyResults.TaskInfo(name: $0.name, kind: "\($0.kind)") })
        }
        let steps = plan()
        for (k, step) in steps.enumerated() where !step.done(results) {
            log("step \(k + 1)/\(steps.count): \(step.name)")
            let cpu = CPUTime.now(), clock = Date()
            var counts = (trained: 0, cached: 0)
            let finished = try ComputeThreads.with(units.training.threads!) { try step.run(&results, &counts) }
            guard finished else { return nil }
            results.timings.append(StudyResults.Timing(step: step.name, seconds: Date().timeIntervalSince(clock), cpuSeconds: CPUTime.now() - cpu,
                                                       trained: counts.trained, cached: counts.cached))
            try save(results)
        }
        if !results.complete {
            results.recommendations = recommend(results)
            results.complete = true
            try RunDirectory.writeJSON(results, to: resultsFile)
        }
        try onResults(results)  // a finished study run again gets its report redrawn
        return results
    }

    private func save(_ results: StudyResults) throws {
        try RunDirectory.writeJSON(results, to: resultsFile)
        try onResults(results)
    }

    /// One step: its name, whether `results` has it, and how to run it (false: stopped).
    struct Step {
        var name: String
        var done: (StudyResults) -> Bool
        var run: (inout StudyResults, inout (trained: Int, cached: Int)) throws -> Bool
    }
}
