import Files
import Foundation
import NN
import Tensors

/// `mtk groundtruth`: trains every task set of a shard (all of them by default) into
/// `DIR/networks` as cached units (`TaskSetTraining`), and `merge` writes the ground truth once
/// every set is trained. Shards of one study share `DIR` (a cluster's shared file system); each
/// records the study's settings in `DIR/groundtruth-settings.json`, and a shard started with other
/// settings is refused before it trains anything. A merged sharded study equals a one-process
/// one bit for bit: each network is trained alone, on the same thread count.
public struct GroundTruthStudy {
    public static let settingsFile = "groundtruth-settings.json"

    public let directory: URL
    public let units: TaskSetTraining
    public let settings: Settings

    /// The study's record of what every shard must agree on.
    public struct Settings: Sendable, Equatable, Codable {
        public var format = 1
        public var config: RunConfig
        public var tasks: [String]
        public var settingsKey: String
        /// Each task set's unit: its members, directory (relative to the study's) and key.
        public var networks: [Network]

        public struct Network: Sendable, Equatable, Codable {
            public var tasks: [String]
            public var directory: String
            public var key: String
        }
    }

    /// Checks everything before any training: 2 to 7 tasks, the settings (`TaskSetTraining`),
    /// and that `directory` holds no study with other settings.
    public init(config: RunConfig, spec: ModelSpec, data: PreparedData, directory: URL, dropUnusedHeads: Bool) throws {
        let tasks = data.tasks.map(\.name)
        try RunDirectory.refuseInsideRun(directory, for: "ground truth")
        guard (2...GroundTruth.maxTasks).contains(tasks.count) else {
            throw ConfigurationError("ground truth trains all 2ⁿ − 1 task sets, for 2 to \(GroundTruth.maxTasks) tasks; the data has \(tasks.count)\(tasks.count > GroundTruth.maxTasks ? " (choose some with --tasks)" : "")")
        }
        self.directory = directory
        var config = config
        config.training.threads = config.training.threads ?? ComputeThreads.count
        config.training.maxSteps = nil
        config.baselines = false
        units = try TaskSetTraining(data: data, spec: spec, training: config.training, initFrom: config.initFrom, strictInit: config.strictInit,
                                    root: directory.appendingPathComponent("networks"), dropUnusedHeads: dropUnusedHeads, source: config.data)
        let units = self.units
        let networks = try GroundTruth.taskSets(count: tasks.count).map { set in
            let names = set.map { tasks[$0] }
            return Settings.Network(tasks: names, directory: "networks/" + (try units.directory(for: names).lastPathComponent), key: try units.key(for: names))
        }
        if config.data != nil && config.data?.tasks == nil { config.data?.tasks = tasks }
        settings = Settings(config: config, tasks: tasks, settingsKey: units.settingsKey, networks: networks)
        try recordSettings()
    }

    /// The study of `config` (its data loaded, its model resolved: a built-in name or a spec file)
    /// in `directory`.
    package static func prepare(_ config: RunConfig, directory: URL) throws -> GroundTruthStudy {
        let (data, spec, dropUnusedHeads) = try TaskSetTraining.inputs(config, study: "ground truth")
        return try GroundTruthStudy(config: config, spec: spec, data: data, directory: directory, dropUnusedHeads: dropUnusedHeads)
    }

    /// The settings a study in `directory` recorded, if it has started.
    package static func savedSettings(_ directory: URL) throws -> Settings? {
        let file = directory.appendingPathComponent(settingsFile)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try RunDirectory.readJSON(Settings.self, from: file)
    }

    /// Writes the settings, or checks them against the ones a shard already wrote.
    private func recordSettings() throws {
        let file = directory.appendingPathComponent(Self.settingsFile)
        try RunDirectory.makeDirectory(directory)
        // Created only if absent, atomically: of shards starting together, one records its
        // settings and the others are checked against them (check-then-write let two differ).
        if try !AtomicWrite.create(try RunJSON.encoder(pretty: true).encode(settings), at: file) {
            let saved = try RunDirectory.readJSON(Settings.self, from: file)
            guard saved.settingsKey == settings.settingsKey, saved.tasks == settings.tasks else {
                let fields = settings.config.differences(from: saved.config).map { "  \($0.field): \($0.value) given, the study has \($0.saved)" }
                throw ConfigurationError("\(directory.path) holds a ground truth with other settings; use another directory, or the same settings:\n"
                    + (fields.isEmpty ? "  the data or the model differ (same options)" : fields.joined(separator: "\n")))
            }
        }
    }

    /// What a shard's run did.
    public struct Outcome: Sendable, Equatable {
        public var trained = 0, cached = 0
        public var interrupted = false
        /// Sets of this shard; sets of the whole study already done (any shard).
        public var mine = 0, doneInStudy = 0
    }

    /// Trains the task sets `shard` owns (all without one), skipping finished ones; `log` gets a
    /// line per network. Stops (resumably) when `shouldStop` says so.
    public func run(shard: Shard?, onEvent: ((TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false },
                    log: (String) -> Void = { _ in }) throws -> Outcome {
        var outcome = Outcome()
        let mine = settings.networks.indices.filter { shard?.owns($0) ?? true }
        outcome.mine = mine.count
        for (k, position) in mine.enumerated() {
            let names = settings.networks[position].tasks
            let label = "network \(k + 1)/\(mine.count)" + (shard.map { " of shard \($0)" } ?? "") + ": " + names.joined(separator: "+")
            if let record = try units.cached(names) {
                outcome.cached += 1
                log("\(label): done before (\(String(format: "%.1f", record.seconds)) s)")
                continue
            }
            log("\(label): training")
            guard let record = try units.train(names, onEvent: onEvent, shouldStop: shouldStop) else {
                outcome.interrupted = true
                return outcome
            }
            outcome.trained += 1
            log("\(label): done in \(String(format: "%.1f", record.seconds)) s, \(record.validationSummary)")
        }
        outcome.doneInStudy = try settings.networks.filter { try units.cached($0.tasks) != nil }.count
        return outcome
    }

    /// The ground truth of the study in `directory`, from its finished networks (trained by any
    /// shards); writes `groundtruth.json`, the loss tables and `timings.json`. An error lists the
    /// task sets not trained yet.
    @discardableResult
    public static func merge(_ directory: URL) throws -> GroundTruth {
        let file = directory.appendingPathComponent(settingsFile)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConfigurationError("\(directory.path) holds no ground truth (no \(settingsFile)): run mtk groundtruth --output \(directory.path) first")
        }
        let networksFolder = directory.appendingPathComponent("networks")
        if FileManager.default.fileExists(atPath: networksFolder.path) && !RunDirectory.isDirectory(networksFolder) {
            throw RunDirectoryError.io(path: networksFolder.path, step: "read the networks", reason: "it is not a directory")
        }
        let settings = try RunDirectory.readJSON(Settings.self, from: file)
        guard settings.format == 1 else { throw RunDirectoryError.corrupt(path: file.path, reason: "has format \(settings.format); this version reads format 1") }
        guard settings.networks.map(\.tasks) == GroundTruth.taskSets(count: settings.tasks.count).map({ $0.map { settings.tasks[$0] } }) else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "does not list every task set of \(settings.tasks.joined(separator: ", ")) once, in order")
        }
        var records: [TaskSetRecord] = [], missing: [(Int, [String])] = []
        for (position, network) in settings.networks.enumerated() {
            let results = directory.appendingPathComponent(network.directory).appendingPathComponent("results.json")
            guard FileManager.default.fileExists(atPath: results.path) else { missing.append((position, network.tasks)); continue }
            let record = try RunDirectory.readJSON(TaskSetRecord.self, from: results)
            guard record.key == network.key, record.settingsKey == settings.settingsKey, record.result.tasks == network.tasks else {
                throw RunDirectoryError.corrupt(path: results.path, reason: "holds another network than \(network.tasks.joined(separator: "+")) under these settings")
            }
            try GroundTruth.checkFinite(record.result, file: results.path)
            records.append(record)
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(8).map { "#\($0.0) \($0.1.joined(separator: "+"))" }.joined(separator: ", ")
            throw ConfigurationError("\(directory.path): \(missing.count) of \(settings.networks.count) task sets are not trained yet (\(shown)\(missing.count > 8 ? ", ..." : "")); "
                + "run the shards that own them (set #p belongs to shard p mod N) or mtk groundtruth without --shard, then merge again")
        }
        let truth = GroundTruth(tasks: settings.tasks, settingsKey: settings.settingsKey, networks: records.map(\.result))
        // What a merge killed mid-write left (only its own files': shards may be writing beside them).
        let outputs = ["groundtruth.json", "groundtruth-validation.csv", "groundtruth-test.csv", "standley_results.txt", "standley_results_test.txt", "timings.json"]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasSuffix(AtomicWrite.temporarySuffix) && outputs.contains(where: { name.hasPrefix(".\($0).") }) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        try RunDirectory.writeJSON(truth, to: directory.appendingPathComponent("groundtruth.json"))
        for split in [GroundTruth.Split.validation, .test] {
            try AtomicWrite.write(Data(truth.csv(split).utf8), to: directory.appendingPathComponent("groundtruth-\(split.rawValue).csv"))
            try AtomicWrite.write(Data(truth.standley(split).utf8), to: directory.appendingPathComponent(split == .test ? "standley_results_test.txt" : "standley_results.txt"))
        }
        try RunDirectory.writeJSON(Timings(networks: records.map { .init(tasks: $0.result.tasks, seconds: $0.seconds, cpuSeconds: $0.cpuSeconds) },
                                           total: records.reduce(0) { $0 + $1.seconds }, totalCPUSeconds: CPUTime.total(records.map(\.cpuSeconds))),
                                   to: directory.appendingPathComponent("timings.json"))
        return truth
    }

    /// `timings.json`: the seconds each network trained, wall-clock and CPU (apart from the
    /// bit-identical results).
    public struct Timings: Sendable, Codable {
        public struct Entry: Sendable, Codable { public var tasks: [String]; public var seconds: Double; public var cpuSeconds: Double? }
        public var networks: [Entry]
        public var total: Double
        /// Every network's CPU seconds, when all were recorded: the compute that estimators' costs
        /// are compared with.
        public var totalCPUSeconds: Double?

        /// `timings.json` beside a ground truth (its directory or its file), nil when there is none.
        public static func beside(_ url: URL) throws -> Timings? {
            let file = GroundTruthStudy.file(url).deletingLastPathComponent().appendingPathComponent("timings.json")
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let timings = try RunDirectory.readJSON(Timings.self, from: file)
            let valid = { (x: Double?) in x.map { $0.isFinite && $0 >= 0 } ?? true }
            guard valid(timings.total), valid(timings.totalCPUSeconds), timings.networks.allSatisfy({ valid($0.seconds) && valid($0.cpuSeconds) }) else {
                throw RunDirectoryError.corrupt(path: file.path, reason: "has a negative or non-finite number of seconds")
            }
            return timings
        }
    }

    /// `groundtruth.json` of a study directory, or `url` itself when it names the file.
    package static func file(_ url: URL) -> URL {
        url.pathExtension == "json" ? url : url.appendingPathComponent("groundtruth.json")
    }

    /// Reads `groundtruth.json` (`merge`'s output) from a study directory or the file itself.
    public static func read(_ url: URL) throws -> GroundTruth {
        let file = file(url)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConfigurationError("\(file.path) does not exist: run mtk groundtruth (and mtk groundtruth merge when sharded) first")
        }
        let truth = try RunDirectory.readJSON(GroundTruth.self, from: file)
        guard truth.format == 1 else { throw RunDirectoryError.corrupt(path: file.path, reason: "has format \(truth.format); this version reads format 1") }
        let sets = GroundTruth.taskSets(count: truth.tasks.count).map { Set($0.map { truth.tasks[$0] }) }
        guard Set(truth.tasks).count == truth.tasks.count, truth.networks.map({ Set($0.tasks) }) == sets,
              truth.networks.allSatisfy({ n in n.tasks.allSatisfy { n.validation[$0] != nil && n.test[$0] != nil } }) else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "does not hold every task set of \(truth.tasks.joined(separator: ", ")) once, in order, with each member's validation and test results")
        }
        for network in truth.networks { try GroundTruth.checkFinite(network, file: file.path) }
        return truth
    }
}
