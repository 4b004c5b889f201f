import Data
import Foundation
import NN
import Tensors

/// One network trained on a set of tasks with a study's data, model and settings: the unit of
/// work of pairwise training (Standley et al. 2020, "Which Tasks Should Be Learned Together in
/// Multi-task Learning?"), its early-stopping approximation and the exhaustive ground truth.
///
/// Each unit lives in `root/NAME-KEY/`, a run directory (resumed where it stopped) that gets its
/// `results.json` when done. KEY fingerprints the data, the model, the training settings (thread
/// count included: it changes the bits) and the task set, so an interrupted or repeated study
/// never trains a network twice, and a study with other settings never reuses one.
public struct TaskSetTraining {
    public let data: PreparedData
    /// The model for all of the data's tasks (checked); each unit keeps the heads of its tasks.
    public let spec: ModelSpec
    public let training: TrainingConfig
    public let initFrom: String?
    public let strictInit: Bool
    public let root: URL
    /// Whether networks of task subsets are trained; false: only of all the data's tasks
    /// (static per-task weights are allowed then).
    public let subsets: Bool
    /// Where the data comes from, written (with the network's tasks) into each network's
    /// config.json, so that `mtk eval` and `mtk fisher` find the data of a network by itself.
    public let source: DataSource?
    /// The fingerprint of everything but the task set (see `key(for:)`).
    public let settingsKey: String
    private let dataFingerprint: String

    /// Checks the settings against the data and the model before any work. `dropUnusedHeads`:
    /// the spec may have heads for tasks the data lacks (a built-in spec's templates).
    public init(data: PreparedData, spec: ModelSpec, training: TrainingConfig, initFrom: String? = nil, strictInit: Bool = false,
                root: URL, dropUnusedHeads: Bool = false, subsets: Bool = true, source: DataSource? = nil) throws {
        var training = training
        training.threads = training.threads ?? ComputeThreads.count
        training.maxSteps = nil
        try training.validate(tasks: data.tasks)
        if subsets && training.weighting.hasPrefix("static") {
            throw ConfigurationError("weighting '\(training.weighting)': static weights are per task, and these networks learn different task sets; use equal, uw, dwa or rlw")
        }
        guard data.validation != nil else {
            throw ConfigurationError("networks of task sets are compared by their validation losses, but the validation fraction is 0: give a validation split")
        }
        let full = try MultiTaskModel.spec(for: spec, tasks: data.tasks, dropUnusedHeads: dropUnusedHeads)
        for (set, role) in [(data.train, "training set"), (data.test, "test set")] { try MultiTaskModel.checkInputs(full, set, role: role) }
        // Every task's labels, for every network, before the first one trains.
        let model = try MultiTaskModel(spec: full, tasks: data.tasks, seed: training.seed)
        try Trainer.check(model: model, train: data.train, validation: data.validation, config: training)
        try model.checkData(data.test, role: "test set")
        for task in data.tasks where data.test.labelledCount(task.name) == 0 {
            throw ConfigurationError("task '\(task.name)' has no labels in the test set '\(data.test.name)': its test loss would be undefined")
        }
        (self.data, self.spec, self.training, self.initFrom, self.strictInit, self.root, self.subsets) = (data, full, training, initFrom, strictInit, root, subsets)
        self.source = source
        let settings = try RunJSON.encoder().encode(training)
        dataFingerprint = DataFingerprint.of(data)
        // The starting weights count by content: the same path holding other weights is another study.
        let initContents = try initFrom.map { try InitCheckpoint.fingerprint(URL(fileURLWithPath: $0)) } ?? "-"
        settingsKey = Fingerprint.of(texts: [dataFingerprint, full.yaml(), String(decoding: settings, as: UTF8.self),
                                             initFrom ?? "-", initContents, strictInit ? "strict" : "-"])
    }

    /// The data, the model and whether its heads are templates (a built-in spec's), for a study
    /// of networks named by `config` (checked first); `study` names it in errors.
    package static func inputs(_ config: RunConfig, study: String) throws -> (data: PreparedData, spec: ModelSpec, dropUnusedHeads: Bool) {
        try config.validate()
        guard let source = config.data else { throw ConfigurationError("\(study): no data given") }
        let name = config.model ?? "reference-cnn"
        return (try PreparedData(source), try ModelSpec.resolve(name), ModelSpec.builtIn[name] != nil)
    }

    /// `tasks` in the data's order; an error names an unknown or repeated task.
    public func canonical(_ tasks: [String]) throws -> [String] {
        let known = data.tasks.map(\.name)
        if let unknown = tasks.first(where: { !known.contains($0) }) {
            throw ConfigurationError("task '\(unknown)' is not in the data (its tasks: \(known.joined(separator: ", ")))")
        }
        guard Set(tasks).count == tasks.count, !tasks.isEmpty else { throw ConfigurationError("a task set must name each task once, got \(tasks)") }
        guard subsets || tasks.count == known.count else { throw ConfigurationError("these settings train networks of all the tasks (\(known.joined(separator: ", "))), not of \(tasks.joined(separator: ", "))") }
        return known.filter(tasks.contains)
    }

    /// The fingerprint of the unit: the settings and the task set.
    public func key(for tasks: [String]) throws -> String {
        Fingerprint.of(texts: [settingsKey] + (try canonical(tasks)))
    }

    /// The unit's directory: the task names (for people) and the key (for the cache).
    public func directory(for tasks: [String]) throws -> URL {
        let names = try canonical(tasks).joined(separator: "+")
        let key = try key(for: tasks)
        return root.appendingPathComponent(names.utf8.count <= 160 ? "\(names)-\(key)" : key)
    }

    /// The finished unit's record, or nil when it was not trained (or not to its end).
    public func cached(_ tasks: [String]) throws -> TaskSetRecord? {
        let file = try directory(for: tasks).appendingPathComponent("results.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let record = try RunDirectory.readJSON(TaskSetRecord.self, from: file)
        guard record.key == (try key(for: tasks)), record.result.tasks == (try canonical(tasks)) else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "holds another network (key \(record.key), tasks \(record.result.tasks.joined(separator: "+")))")
        }
        return record
    }

    /// Trains the network for `tasks` (or resumes it, or reads it when done) on the settings'
    /// thread count. Nil when `shouldStop` interrupted it (resumable). A network that another
    /// process is training (studies or shards sharing a cache) is waited for, then read.
    public func train(_ tasks: [String], onEvent: ((TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false }) throws -> TaskSetRecord? {
        var waiting = false
        while true {
            do { return try trainHere(tasks, onEvent: onEvent, shouldStop: shouldStop) } catch RunDirectoryError.inUse(let path, let pid) where pid != getpid() {
                if !waiting {
                    onEvent?(.note("\(path) is being trained by \(pid.map { "process \($0)" } ?? "another process"): waiting for it to finish"))
                    waiting = true
                }
                for _ in 0..<10 {
                    if shouldStop() { return nil }
                    usleep(100_000)
                }
            }
        }
    }

    private func trainHere(_ tasks: [String], onEvent: ((TrainingEvent) -> Void)?, shouldStop: @escaping () -> Bool) throws -> TaskSetRecord? {
        if let done = try cached(tasks) { return done }
        try RunDirectory.makeDirectory(root)
        let names = try canonical(tasks), url = try directory(for: tasks), key = try key(for: tasks)
        return try ComputeThreads.with(training.threads!) {
            let specs = data.tasks.filter { names.contains($0.name) }
            let train = try data.train.selecting(tasks: names), validation = try data.validation!.selecting(tasks: names)
            let loadInit = { (model: MultiTaskModel) in
                if let initFrom { onEvent?(.note(try InitCheckpoint.load(URL(fileURLWithPath: initFrom), into: model, strict: strictInit).description)) }
            }
            let trainer: Trainer
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) {
                let run = try RunDirectory.open(url)
                let saved = try run.readConfig()
                guard saved.training == training, saved.initFrom == initFrom else {
                    throw RunDirectoryError.corrupt(path: run.config.path, reason: "was started with other settings than its key \(key) says: remove the directory to train it again")
                }
                trainer = try Trainer.resume(run: run, train: train, validation: validation, tasks: specs, changes: ResumeChanges(threads: training.threads), freshStart: loadInit)
            } else {
                let model = try MultiTaskModel(spec: spec, tasks: specs, seed: training.seed, dropUnusedHeads: true)
                try loadInit(model)
                let run = try RunDirectory.create(url, overwrite: true)
                var record = RunConfig()
                (record.training, record.initFrom, record.strictInit) = (training, initFrom, strictInit)
                record.data = source.map { var source = $0; source.tasks = names; return source }
                record.dataFingerprint = dataFingerprint
                try run.writeIdentity(record, spec: model.spec)
                trainer = try Trainer(model: model, train: train, validation: validation, config: training, run: run)
                try trainer.save()
            }
            trainer.onEvent = onEvent
            trainer.shouldStop = shouldStop
            let summary = try trainer.run()
            if summary.resumable { return nil }
            try trainer.loadBest()
            let result = TaskSetResult(tasks: names, validation: trainer.model.evaluate(validation), test: trainer.model.evaluate(try data.test.selecting(tasks: names)),
                                       bestEpoch: summary.bestEpoch, epochs: summary.epochs, steps: summary.steps)
            let history = trainer.state.history
            let record = TaskSetRecord(key: key, settingsKey: settingsKey, result: result, seconds: history.reduce(0) { $0 + $1.seconds },
                                       cpuSeconds: CPUTime.total(history.map(\.cpuSeconds)))
            try RunDirectory.writeJSON(record, to: url.appendingPathComponent("results.json"))
            return record
        }
    }
}

/// What a network trained on a task set scored: per task, at its best validation epoch.
public struct TaskSetResult: Sendable, Equatable, Codable {
    /// The task set, in the data's order.
    public var tasks: [String]
    /// Per-task losses and metrics on the validation split (model selection) and the test set.
    public var validation: Evaluation
    public var test: Evaluation
    public var bestEpoch: Int?
    public var epochs: Int
    public var steps: Int
}

/// A finished unit's `results.json`: the result, the keys it was trained under, and its
/// training time (kept apart from the result, which is bit-identical between runs).
public struct TaskSetRecord: Sendable, Equatable, Codable {
    public var key: String
    public var settingsKey: String
    public var result: TaskSetResult
    /// Training time: wall-clock, and CPU (every thread's; nil when not recorded), epochs only.
    public var seconds: Double
    public var cpuSeconds: Double?

    /// `validation losses a 0.1234, b 0.5678`, for log lines.
    package var validationSummary: String {
        "validation losses " + result.validation.tasks.map { "\($0.task) \(String(format: "%.4f", $0.loss))" }.joined(separator: ", ")
    }
}

/// A 64-bit fingerprint of texts (FNV-1a over their bytes, each text's length first): names
/// cached work; detects accidents, not adversaries.
enum Fingerprint {
    static func of(texts: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        for text in texts {
            withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { $0.forEach(mix) }
            text.utf8.forEach(mix)
        }
        return String(repeating: "0", count: 16 - String(hash, radix: 16).count) + String(hash, radix: 16)
    }
}
