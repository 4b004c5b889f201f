import Files
import Foundation
import NN

/// Everything that defines a run, saved as its `config.json` when it starts, so that
/// `mtk train --resume -o DIR` alone continues it: the data, the training settings (seed and
/// thread count included), the checkpoint it started from, and whether baselines are trained.
/// The model is `model.yaml` beside it.
public struct RunConfig: Sendable, Equatable, Codable {
    /// The version of this file's layout.
    public var format = 1
    /// Where the data comes from; nil for a run started from code with in-memory data sets.
    public var data: DataSource?
    /// The model as named when the run started (a built-in name or a spec file), for the record.
    public var model: String?
    public var training = TrainingConfig()
    /// The checkpoint the weights started from (absolute path), and whether every key had to match.
    public var initFrom: String?
    public var strictInit = false
    /// Train one single-task model per task and report Δm%.
    public var baselines = false
    /// What `mtk affinity` measures (nil for a plain training run).
    public var affinity: AffinityRequest?
    /// How `mtk prune` pruned the network (nil for a dense run); the masks are `masks.safetensors`.
    public var pruning: PruningRequest?
    /// A fingerprint of the prepared data when the run started (see `DataFingerprint`): resuming
    /// on changed data is an error.
    public var dataFingerprint: String?

    public init() {}

    /// Checks every setting that can be checked before the data is loaded.
    public func validate() throws {
        try data?.validate()
        try training.validate()
        try affinity?.validate()
        if affinity?.divideByLearningRate == true && training.optimizer.learningRate == 0 {
            throw ConfigurationError("affinity: divide by lr needs a learning rate above 0, got 0")
        }
        try pruning?.validate()
        if strictInit && initFrom == nil { throw ConfigurationError("--strict applies to a checkpoint to start from (--init), and none is given") }
        if let data, data.validationFraction == 0 {
            if !["loss", "fisher", "last"].contains(training.selection) { throw ConfigurationError("selection '\(training.selection)' needs a validation split, but the validation fraction is 0") }
            if let patience = training.patience { throw ConfigurationError("patience \(patience) (early stopping) needs a validation split, but the validation fraction is 0") }
        }
    }

    /// Settings that a resumed run may change: more epochs, a step limit, the thread count
    /// (with a warning) and adding baselines.
    public static let changeableOnResume: Set<String> = ["training.epochs", "training.maxSteps", "training.threads", "baselines", "dataFingerprint"]

    /// Where the data files are: a resumed run may find them elsewhere (a moved folder), as long
    /// as what they hold is the same (its fingerprint is checked).
    public static let relocatable: Set<String> = ["data.csv", "data.testCSV", "data.dataDirectory"]

    /// The settings (as dotted key paths, e.g. `training.optimizer.learningRate`) whose values
    /// differ between `self` and `saved`, with both values as JSON text.
    public func differences(from saved: RunConfig) -> [(field: String, value: String, saved: String)] {
        let mine = RunConfig.flatten(self), theirs = RunConfig.flatten(saved)
        return Set(mine.keys).union(theirs.keys).sorted().compactMap { key in
            let (a, b) = (mine[key] ?? "unset", theirs[key] ?? "unset")
            return a == b ? nil : (key, a, b)
        }
    }

    private static func flatten(_ config: RunConfig) -> [String: String] {
        guard let data = try? RunJSON.encoder().encode(config), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (key, inner) in dictionary { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) {
                out[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(object, "")
        return out
    }
}

extension RunDirectory {
    /// Writes the run's identity: `model.yaml`, then `config.json` (whose presence marks the
    /// directory as holding a run).
    func writeIdentity(_ config: RunConfig, spec: ModelSpec) throws {
        try AtomicWrite.write(Foundation.Data(spec.yaml().utf8), to: self.spec)
        try RunDirectory.writeJSON(config, to: self.config)
    }

    /// The run's `config.json`.
    public func readConfig() throws -> RunConfig {
        let config = try RunDirectory.readJSON(RunConfig.self, from: self.config)
        guard config.format == 1 else {
            throw RunDirectoryError.corrupt(path: self.config.path, reason: "has format \(config.format); this version of MultiTaskKit reads format 1")
        }
        return config
    }

    /// The tasks the run learns, in head order (from `model.yaml`).
    public func readSpecTasks() throws -> [String] {
        try ModelSpec.load(spec).heads.map(\.task)
    }
}
