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
    private let lock: RunLock?
    var progress: Progress?
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
    /// `checkOnly`: check everything, create nothing (the directory is not taken; `run` refuses).
    public convenience init(file: URL, output: URL? = nil, overwrite: Bool = false, dataDirectory: String? = nil, version: String, checkOnly: Bool = false) throws {
        let bytes: [UInt8]
        do { bytes = try FileContents.bytes(file.path, atMost: 1 << 20) } catch {
            throw ConfigurationError("\(file.path): cannot read the study file (\(error.missing ? "no such file" : error.tooLarge != nil ? "larger than 1 MiB; expected a YAML study config" : error.reason))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ConfigurationError("\(file.path): cannot read the study file (not UTF-8 text)") }
        var (config, lines) = try StudyConfig.parseLocated(yaml: text, source: file.path, base: file.deletingLastPathComponent())
        if let dataDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError("--data-dir: \(dataDirectory) is not a folder (expected the folder of IDX files)")
            }
            config.data.dataDirectory = dataDirectory
            do { try config.data.validate() } catch let error as ConfigurationError { throw ConfigurationError("--data-dir: \(error.message)") }
        }
        do {
            try self.init(config: config, yaml: text, output: output, overwrite: overwrite, version: version, checkOnly: checkOnly)
        } catch let error as ConfigurationError {
            throw Self.locate(error, source: file.path, lines: lines)
        }
    }

    /// A config error found after parsing ("steps.grouping.budgets: ...") with its file and, when
    /// the file has the key (or a key above it), the line.
    static func locate(_ error: ConfigurationError, source: String, lines: [String: Int]) -> any Error {
        guard let colon = error.message.range(of: ": ") else { return ConfigFileError(source: source, line: nil, key: "", message: error.message) }
        let key = String(error.message[..<colon.lowerBound])
        guard !key.contains(" "), !key.hasPrefix("-") else { return error }  // a message, or an option's (--data-dir)
        return ConfigFileError(source: source, lines: lines, key: key, message: String(error.message[colon.upperBound...]))
    }

    /// Runs `body`, prefixing a configuration error (or any other: a missing file, a model that
    /// does not fit) with `key`, the config key it concerns.
    private static func stage<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ConfigurationError {
            throw error.message.hasPrefix(key + ":") || error.message.hasPrefix(key + ".") ? error : ConfigurationError("\(key): \(error.message)")
        } catch {
            throw ConfigurationError("\(key): \(error)")
        }
    }

    public init(config: StudyConfig, yaml: String, output: URL? = nil, overwrite: Bool = false, version: String, checkOnly: Bool = false) throws {
        self.config = config
        (self.yaml, self.version) = (yaml, version)
        directory = output ?? URL(fileURLWithPath: "runs").appendingPathComponent(config.name)
        let threads = config.training.threads ?? ComputeThreads.count
        var training = config.training
        training.threads = threads
        let data = try ComputeThreads.with(threads) { try Self.stage("data") { try PreparedData(config.data) } }
        self.data = data
        training.weighting = StudyConfig.canonicalWeighting(training.weighting, tasks: data.tasks.count)
        (spec, dropUnusedHeads) = try Self.stage("model") {
            let spec = try ModelSpec.resolve(config.model), builtIn = ModelSpec.builtIn[config.model] != nil
            let full = try MultiTaskModel.spec(for: spec, tasks: data.tasks, dropUnusedHeads: builtIn)
            for (set, role) in [(data.train, "training set"), (data.test, "test set")] { try MultiTaskModel.checkInputs(full, set, role: role) }
            return (spec, builtIn)
        }
        tasks = data.tasks.map(\.name)
        try Self.check(config, tasks: tasks)
        let cache = config.cache.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("networks")
        self.cache = cache
        try Self.checkFolders(directory: directory, cache: cache, custom: config.cache != nil)
        // Every training setting the study will use, against the data and the model.
        let (spec, dropUnusedHeads) = (self.spec, self.dropUnusedHeads)
        units = try Self.stage("training") { try TaskSetTraining(data: data, spec: spec, training: training, root: cache, dropUnusedHeads: dropUnusedHeads, source: config.data) }
        for method in config.steps.multitask ?? [] {
            var settings = try StudyConfig.training(training, method: method, tasks: tasks.count)
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
                throw ConfigurationError("sweep: the trial \(StudyConfig.Sweep.describe(trial, separator: ", ")): \(error.message)")
            }
        }
        if let vectors = config.steps.taskVectors { try Self.check(vectors, spec: units.spec, tasks: data.tasks, seed: training.seed) }
        // A folder that is not a study is never touched (not even by a lock file).
        let state = try Self.folderState(directory)
        if state == .foreign {
            let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
            throw ConfigurationError("\(directory.path) is not empty and holds no study (it has \(contents.prefix(5).joined(separator: ", "))): give another -o")
        }
        if checkOnly {
            // What `adopt` would refuse, without taking the directory.
            if state == .study, !overwrite, let before = try? RunDirectory.readJSON(StudyConfig.self, from: directory.appendingPathComponent("study.json")), before != config {
                throw Self.anotherConfig(before, config, in: directory)
            }
            lock = nil
            return
        }
        try RunDirectory.makeDirectory(directory)
        lock = try RunLock(directory: directory)
        try adopt(overwrite: overwrite)
    }

    /// The steps the study runs, in order, each marked when `results` already has it.
    public func planned() throws -> [(step: String, done: Bool)] {
        let results = FileManager.default.fileExists(atPath: resultsFile.path) ? try? RunDirectory.readJSON(StudyResults.self, from: resultsFile) : nil
        return plan().map { ($0.name, results.map($0.done) ?? false) }
    }

    /// The task-vector settings against the model: the shared tensors the patterns select, and a
    /// pretrained checkpoint that holds them.
    static func check(_ vectors: StudyConfig.TaskVectors, spec: ModelSpec, tasks: [TaskSpec], seed: UInt64) throws {
        let state = try MultiTaskModel(spec: spec, tasks: tasks, seed: seed).network.stateDict()
        let names = state.names
        for pattern in vectors.include where !names.contains(where: { MergeConfig.matches($0, pattern) }) {
            throw ConfigurationError("steps.task_vectors.include: '\(pattern)' selects none of the model's tensors (\(names.prefix(6).joined(separator: ", "))\(names.count > 6 ? ", ..." : ""))")
        }
        let shared = names.filter { name in vectors.include.contains { MergeConfig.matches(name, $0) } }
        // A DARE merge whose density drops every entry of a small tensor is refused by the merge;
        // found here, not after the networks are trained.
        for method in vectors.merges ?? [] {
            let inputs = tasks.map { _ in MergeInput(weight: 1, density: vectors.density ?? TaskVectorStudy.Settings.defaultDensity) }
            if let (_, message) = MergeSettings(method: method).vanishingDrop(inputs, tensors: shared.map { ($0, state[$0]!.count) }) {
                throw ConfigurationError("steps.task_vectors.density: \(method.rawValue): \(message)")
            }
            // TIES trims each tensor to k = ⌊density · n⌋ entries: none kept is an error of the merge.
            if method == .ties, let small = shared.first(where: { Int(inputs[0].density * Double(state[$0]!.count)) == 0 }) {
                throw ConfigurationError("steps.task_vectors.density: ties: \(inputs[0].density) keeps no entry of '\(small)' (\(state[small]!.count) entries; k = ⌊density · n⌋ = 0): raise the density")
            }
        }
        guard vectors.pretrained != "init" else { return }
        let weights: ParameterSet
        do { weights = try InitCheckpoint.weights(URL(fileURLWithPath: vectors.pretrained)) } catch {
            throw ConfigurationError("steps.task_vectors.pretrained: \(vectors.pretrained) is not a checkpoint this model can start from: \(error)")
        }
        if let missing = shared.first(where: { weights[$0] == nil }) {
            throw ConfigurationError("steps.task_vectors.pretrained: \(vectors.pretrained) lacks the shared tensor '\(missing)' (it has \(weights.names.prefix(4).joined(separator: ", "))...)")
        }
    }

    /// What a run directory holds: nothing (or not there), a study (possibly damaged: its
    /// study.json missing or unreadable), or something else.
    enum FolderState { case empty, study, foreign }
    static let studyFiles: Set<String> = ["study.yaml", "study.json", "results.json", "progress.json", "summary.md", "report.html", "affinity", "task-vectors", "pruning", "networks", "lock"]

    static func folderState(_ directory: URL) throws -> FolderState {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else { return .empty }
        guard isDirectory.boolValue else { throw ConfigurationError("-o \(directory.path): that is a file; a study's results go into a directory") }
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        if contents.allSatisfy({ ["lock", "networks"].contains($0) }) { return .empty }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("study.json").path) { return .study }
        // study.yaml or results.json beside nothing foreign: a study whose study.json was lost.
        let known = contents.allSatisfy(studyFiles.contains) && (contents.contains("study.yaml") || contents.contains("results.json"))
        return known ? .study : .foreign
    }

    /// The run directory is not inside another study, and the cache is a folder (or can be one).
    static func checkFolders(directory: URL, cache: URL, custom: Bool) throws {
        var parent = directory.standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<8 where parent.path != "/" {
            if FileManager.default.fileExists(atPath: parent.appendingPathComponent("study.json").path) {
                throw ConfigurationError("-o \(directory.path): that is inside the study in \(parent.path); give a folder outside it")
            }
            parent = parent.deletingLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: cache.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ConfigurationError("\(custom ? "cache" : "-o"): \(cache.path) is a file; trained networks are cached in a folder")
        }
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

    /// Takes over the run directory: a new study, the same study resumed (its study.yaml
    /// refreshed when only comments or layout changed), or (with `overwrite`) another study, or
    /// a damaged one, replaced. Trained networks stay in the cache either way.
    private func adopt(overwrite: Bool) throws {
        let saved = directory.appendingPathComponent("study.json"), text = directory.appendingPathComponent("study.yaml")
        var start = !FileManager.default.fileExists(atPath: saved.path)
        if !start {
            let before: StudyConfig
            do { before = try RunDirectory.readJSON(StudyConfig.self, from: saved, what: "study config") } catch {
                guard overwrite else { throw ConfigurationError("\(error); start the study over with --overwrite (trained networks are kept)") }
                try clear()
                start = true
                before = config
            }
            if before != config {
                guard overwrite else {
                    throw Self.anotherConfig(before, config, in: directory)
                }
                try clear()
                start = true
            } else if !start, (try? String(contentsOf: text, encoding: .utf8)) != yaml {
                try AtomicWrite.write(Data(yaml.utf8), to: text)  // the same study; its comments or layout changed
            }
        } else if FileManager.default.fileExists(atPath: resultsFile.path) {
            // Results without a config: study.json was lost.
            guard overwrite else { throw ConfigurationError("\(directory.path): study.json is missing beside results.json; start the study over with --overwrite (trained networks are kept)") }
            try clear()
        }
        if start {
            try AtomicWrite.write(Data(yaml.utf8), to: text)
            try RunDirectory.writeJSON(config, to: saved)  // last: a directory with study.json has its study.yaml
        }
    }

    /// The refusal of a directory that holds `before`, another config's study.
    private static func anotherConfig(_ before: StudyConfig, _ config: StudyConfig, in directory: URL) -> ConfigurationError {
        ConfigurationError("\(directory.path) holds the study '\(before.name)' run with another config (\(Self.differences(before, config).joined(separator: ", ")) differ): resume it with its own config, give another name or -o, or replace it with --overwrite")
    }

    /// Removes a study's own files (never the cache, never anything else).
    private func clear() throws {
        for name in Self.studyFiles.subtracting(["networks", "lock"]) { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
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
        guard lock != nil else { throw ConfigurationError("this study was only checked (checkOnly); open it again to run it") }
        var results: StudyResults
        if FileManager.default.fileExists(atPath: resultsFile.path) {
            let hint = "remove it to redo the study's steps from the cached networks (none is trained again)"
            do { results = try RunDirectory.readJSON(StudyResults.self, from: resultsFile, what: "study results") } catch {
                throw ConfigurationError("\(error); \(hint)")
            }
            guard results.name == config.name, results.tasks.map(\.name) == tasks else {
                throw RunDirectoryError.corrupt(path: resultsFile.path, reason: "holds the results of another study (\(results.name)); \(hint)")
            }
        } else {
            results = StudyResults(name: config.name, description: config.description, version: version, configYAML: yaml,
                                   tasks: data.tasks.map { StudyResults.TaskInfo(name: $0.name, kind: "\($0.kind)") })
        }
        let steps = plan()
        for (k, step) in steps.enumerated() where !step.done(results) {
            log("step \(k + 1)/\(steps.count): \(step.name)")
            // A step stopped or killed before carries its time and networks over (progress.json).
            let saved = FileManager.default.fileExists(atPath: progressFile.path) ? try? RunDirectory.readJSON(StudyResults.Timing.self, from: progressFile) : nil
            let before = saved?.step == step.name ? saved! : StudyResults.Timing(step: step.name, seconds: 0, cpuSeconds: 0, trained: 0, cached: 0)
            progress = Progress(before: before, clock: Date(), cpu: CPUTime.now())
            var counts = (trained: 0, cached: 0)
            let finished = try ComputeThreads.with(units.training.threads!) { try step.run(&results, &counts) }
            let timing = progress!.timing(counts)
            progress = nil
            guard finished else {
                try RunDirectory.writeJSON(timing, to: progressFile)
                return nil
            }
            results.timings.append(timing)
            try save(results)
            try? FileManager.default.removeItem(at: progressFile)
        }
        if !results.complete {
            results.recommendations = recommend(results)
            results.complete = true
            try RunDirectory.writeJSON(results, to: resultsFile)
        }
        try onResults(results)  // a finished study run again gets its report redrawn
        return results
    }

    var progressFile: URL { directory.appendingPathComponent("progress.json") }

    /// The running step's time and networks, from where earlier sessions left it.
    struct Progress {
        var before: StudyResults.Timing
        var clock: Date
        var cpu: Double

        /// The step restarts from the cache: the networks it trained in earlier sessions are
        /// found there now, and count as trained, not cached.
        func timing(_ counts: (trained: Int, cached: Int)) -> StudyResults.Timing {
            StudyResults.Timing(step: before.step, seconds: before.seconds + Date().timeIntervalSince(clock),
                                cpuSeconds: before.cpuSeconds.map { $0 + CPUTime.now() - cpu }, trained: before.trained + counts.trained,
                                cached: Swift.max(0, counts.cached - before.trained))
        }
    }

    /// Records the running step's progress after a network was trained, so that a kill loses
    /// none of its count.
    func saveProgress(_ counts: (trained: Int, cached: Int)) throws {
        if let progress { try RunDirectory.writeJSON(progress.timing(counts), to: progressFile) }
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
