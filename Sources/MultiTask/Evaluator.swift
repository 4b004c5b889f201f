import Data
import Foundation
import NN

/// Evaluating a saved checkpoint: the spec comes from the checkpoint's metadata (or is given),
/// the tasks from the data.
public enum Evaluator {
    /// `checkpoint` may be a `.safetensors` file or a run directory (its current snapshot's best
    /// weights, else its last). For a run directory the data defaults to the run's own source.
    public static func evaluate(checkpoint: URL, spec specName: String?, source: DataSource?) throws -> RunResults {
        var file = checkpoint
        var source = source
        guard FileManager.default.fileExists(atPath: checkpoint.path) else { throw RunDirectoryError.notARun(path: checkpoint.path) }
        if RunDirectory.isDirectory(checkpoint) {
            let run = try RunDirectory.reading(checkpoint)
            guard let snapshot = try run.current() else { throw RunDirectoryError.corrupt(path: checkpoint.path, reason: "the run has saved no weights yet") }
            file = FileManager.default.fileExists(atPath: snapshot.bestFile.path) ? snapshot.bestFile : snapshot.modelFile
            if source == nil { source = try run.readConfig().data }
        }
        guard var source else {
            throw ConfigurationError("\(checkpoint.path): say which data to evaluate on (a suite or a CSV file)")
        }
        let metadata = try SafetensorsFile(contentsOf: file).metadata
        let spec: ModelSpec
        if let specName {
            spec = try ModelSpec.resolve(specName)
        } else if let yaml = metadata["spec"] {
            spec = try ModelSpec.parse(yaml: yaml, source: "\(file.path) (metadata 'spec')")
        } else {
            throw ConfigurationError("\(file.path) has no 'spec' metadata: give the model with --model")
        }
        source.validationFraction = 0
        if source.tasks == nil, let tasks = metadata["tasks"] { source.tasks = tasks.split(separator: ",").map(String.init) }
        let data = try PreparedData(source)
        let model = try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 0)
        try model.checkData(data.test, role: "test set")
        try model.network.load(from: file)
        let test = model.evaluate(data.test)
        return RunResults(test: test, bestEpoch: metadata["epoch"].flatMap(Int.init), baselines: nil, deltaM: nil,
                          summary: TrainingSummary(epochs: 0, steps: 0, bestEpoch: nil, bestValue: nil, stoppedAtStepLimit: false, stoppedEarly: false, interrupted: false, history: []))
    }
}
