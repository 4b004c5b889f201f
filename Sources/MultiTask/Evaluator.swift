import Data
import Files
import Foundation
import NN

/// Evaluating a saved checkpoint: the spec comes from the checkpoint's metadata (or is given),
/// the tasks from the data.
public enum Evaluator {
    /// `checkpoint` may be a `.safetensors` file or a run directory (its current snapshot's best
    /// weights, else its last). `source` is the data (for a run directory, `runDataSource` gives
    /// the run's own, to adjust). `dropUnusedHeads` as in `MultiTaskModel` (for a built-in spec).
    public static func evaluate(checkpoint: URL, spec specName: String?, source: DataSource?, dropUnusedHeads: Bool = false) throws -> RunResults {
        let loaded = try load(checkpoint: checkpoint, spec: specName, source: source, dropUnusedHeads: dropUnusedHeads)
        let (file, metadata) = (loaded.file, loaded.metadata)
        try loaded.model.checkData(loaded.data.test, role: "test set")
        let test = loaded.model.evaluate(loaded.data.test)
        var results = RunResults(test: test, bestEpoch: metadata["epoch"].flatMap(Int.init), baselines: nil, deltaM: nil,
                                 summary: TrainingSummary(epochs: 0, steps: 0, bestEpoch: nil, bestValue: nil, stoppedAtStepLimit: false, stoppedEarly: false, interrupted: false, history: []))
        results.weights = "\(file.path)" + (metadata["epoch"].map { " (epoch \($0)" + (metadata["step"].map { ", step \($0))" } ?? ")") } ?? "")
        return results
    }

    /// A saved checkpoint's model with its weights, and the data it is measured on.
    public struct Loaded {
        public let model: MultiTaskModel
        public let data: PreparedData
        /// The weights file read, and its metadata.
        public let file: URL
        public let metadata: [String: String]
    }

    /// Loads `checkpoint` (a file or a run directory, as in `evaluate`) into its model and prepares
    /// `source`'s data: with `keepValidation`, split as the source says (the training split without
    /// its validation examples); else all of it for training (no validation split).
    public static func load(checkpoint: URL, spec specName: String?, source: DataSource?, dropUnusedHeads: Bool = false,
                            keepValidation: Bool = false) throws -> Loaded {
        var file = checkpoint
        guard FileManager.default.fileExists(atPath: checkpoint.path) else { throw RunDirectoryError.notARun(path: checkpoint.path) }
        if RunDirectory.isDirectory(checkpoint) {
            let run = try RunDirectory.reading(checkpoint)
            guard let snapshot = try run.current() else { throw RunDirectoryError.corrupt(path: checkpoint.path, reason: "the run has saved no weights yet") }
            file = FileManager.default.fileExists(atPath: snapshot.bestFile.path) ? snapshot.bestFile : snapshot.modelFile
        }
        let metadata = try SafetensorsFile(contentsOf: file).metadata  // a file that is no checkpoint fails here, first
        if FisherInformation.marks(metadata) {
            throw CheckpointError(path: file.path, reason: "is a Fisher diagonal (written by mtk fisher), not a model's weights")
        }
        guard var source else {
            throw ConfigurationError("\(checkpoint.path): say which data to use (--suite or --csv)")
        }
        let spec: ModelSpec
        if let specName {
            spec = try ModelSpec.resolve(specName)
        } else if let yaml = metadata["spec"] {
            spec = try ModelSpec.parse(yaml: yaml, source: "\(file.path) (metadata 'spec')")
        } else {
            throw ConfigurationError("\(file.path) has no 'spec' metadata: give the model with --model")
        }
        if !keepValidation { source.validationFraction = 0 }
        if source.tasks == nil, let tasks = metadata["tasks"] { source.tasks = tasks.split(separator: ",").map(String.init) }
        let data = try PreparedData(source)
        // Heads for tasks not evaluated (`--tasks` chose fewer) are left out, with their weights.
        let model = try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 0, dropUnusedHeads: dropUnusedHeads || specName == nil)
        let report = try InitCheckpoint.load(file, into: model, strict: false)
        guard report.missing.isEmpty else {
            throw CheckpointError(path: file.path, reason: "lacks weights the model needs: \(report.missing.prefix(6).joined(separator: ", "))")
        }
        return Loaded(model: model, data: data, file: file, metadata: metadata)
    }

    /// The data source a run directory was trained on (nil for a file, or a run from code).
    public static func runDataSource(_ url: URL) throws -> DataSource? {
        guard RunDirectory.isDirectory(url) else { return nil }
        return try RunDirectory.reading(url).readConfig().data
    }
}
