import Data
import Foundation
import NN

/// Evaluating a saved checkpoint: the spec comes from the checkpoint's metadata (or is given),
/// the tasks from the data.
public enum Evaluator {
    /// `checkpoint` may be a `.safetensors` file or a run directory (its best, else last, weights).
    public static func evaluate(checkpoint: URL, spec specName: String?, source: DataSource) throws -> RunResults {
        var file = checkpoint
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: checkpoint.path, isDirectory: &isDirectory), isDirectory.boolValue {
            let dir = RunDirectory(checkpoint)
            file = FileManager.default.fileExists(atPath: dir.bestModel.path) ? dir.bestModel : dir.lastModel
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
        var source = source
        source.validationFraction = 0
        if source.tasks == nil, let tasks = metadata["tasks"] { source.tasks = tasks.split(separator: ",").map(String.init) }
        let data = try PreparedData(source)
        let model = try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 0)
        try model.checkInputs(data.test)
        try model.network.load(from: file)
        let test = model.evaluate(data.test)
        return RunResults(test: test, bestEpoch: metadata["epoch"].flatMap(Int.init), baselines: nil, deltaM: nil,
                          summary: TrainingSummary(epochs: 0, steps: 0, bestEpoch: nil, bestValue: nil, stoppedAtStepLimit: false, stoppedEarly: false, interrupted: false, history: []))
    }
}
