import Data
import Foundation
import NN

/// Fine-tuning one model per task (or task set) from a pretrained checkpoint: the models that
/// task vectors are taken from (Ilharco et al. 2023). Each model is a cached, resumable
/// `TaskSetTraining` unit; which epoch is kept is part of its settings:
/// - `last`: the last epoch;
/// - `best`: the best validation value (the run's selection, loss by default; a bare metric such
///   as `accuracy` is each one-task model's own task's);
/// - `fisher`: the highest Fisher log-trace on the training set (`FisherInformation`).
/// With `balanced`, each model trains on its task's class-balanced subsample (undersampled to the
/// rarest class, seeded); validation and test stay as they are.
public struct Finetuning {
    public enum Keep: String, Sendable, Codable, CaseIterable {
        case last, best, fisher
    }

    /// One fine-tuned model: where its kept weights are and what they score.
    public struct Model: Sendable, Equatable, Codable {
        public var tasks: [String]
        /// The kept weights (the unit's best.safetensors), relative to the study directory.
        public var file: String
        /// The epoch those weights are from.
        public var epoch: Int?
        public var epochs: Int
        public var validation: Evaluation
        public var test: Evaluation
        /// log tr F of the kept weights on the model's training data (its complexity).
        public var fisherLogTrace: Double
        public var seconds: Double
    }

    /// What `finetune.json` holds.
    public struct Record: Sendable, Equatable, Codable {
        /// The data and the model (as named) the models were fine-tuned with.
        public var data: DataSource?
        public var model: String?
        public var pretrained: String
        /// The pretrained weights' fingerprint, so a study of the task vectors can check that the
        /// file still holds them.
        public var pretrainedFingerprint: String
        public var keep: Keep
        public var balanced: Bool
        public var fisherExamples: Int
        public var models: [Model]
    }

    public let config: RunConfig
    public let keep: Keep
    public let balanced: Bool
    public let root: URL

    /// Checks the settings; `config` names the data, the model, the training settings and the
    /// pretrained checkpoint (`initFrom`, required).
    public init(config: RunConfig, keep: Keep, balanced: Bool, root: URL) throws {
        guard config.initFrom != nil else { throw ConfigurationError("finetune: give the pretrained checkpoint to start every model from (--init)") }
        try RunDirectory.refuseInsideRun(root, for: "finetune")
        var config = config
        if keep != .best && config.training.selection != "loss" {
            throw ConfigurationError("finetune: --selection '\(config.training.selection)' chooses the best epoch, and --keep \(keep.rawValue) keeps another; use one of them")
        }
        switch keep {
        case .last: config.training.selection = "last"
        case .fisher: config.training.selection = "fisher"
        case .best: if ["last", "fisher"].contains(config.training.selection) { config.training.selection = "loss" }
        }
        (self.config, self.keep, self.balanced, self.root) = (config, keep, balanced, root)
    }

    /// The file the record is written to.
    public var recordFile: URL { root.appendingPathComponent("finetune.json") }

    /// Fine-tunes a model for each task set (nil: each of the data's tasks alone), resuming or
    /// reusing finished ones, then writes `finetune.json`. Nil when `shouldStop` interrupted it
    /// (run again to continue).
    public func run(_ sets: [[String]]?, onEvent: ((String, TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false }) throws -> Record? {
        let (data, spec, dropUnusedHeads) = try TaskSetTraining.inputs(config, study: "finetune")
        let pretrained = try InitCheckpoint.fingerprint(URL(fileURLWithPath: config.initFrom!))
        let sets = sets ?? data.tasks.map { [$0.name] }
        let known = data.tasks.map(\.name)
        var seen = Set<[String]>()
        for set in sets {
            let name = set.joined(separator: "+")
            if let unknown = set.first(where: { !known.contains($0) }) {
                throw ConfigurationError("finetune: task '\(unknown)' of the set \(name) is not in the data (its tasks: \(known.joined(separator: ", ")))")
            }
            guard Set(set).count == set.count else { throw ConfigurationError("finetune: the set \(name) names a task twice") }
            guard seen.insert(known.filter(set.contains)).inserted else { throw ConfigurationError("finetune: the set \(name) is given twice") }
            let selection = config.training.selection
            if selection.contains("."), let task = selection.split(separator: ".").first.map(String.init), !set.contains(task) {
                throw ConfigurationError("finetune: selection '\(selection)' names task '\(task)', which the model of \(name) does not learn")
            }
        }
        // Every unit is checked before the first trains; a refusal leaves no directory behind.
        let created = !FileManager.default.fileExists(atPath: root.path)
        let units: [(tasks: [String], unit: TaskSetTraining)]
        do {
            units = try sets.map { set -> (tasks: [String], unit: TaskSetTraining) in
                var unitData = data
                if balanced {
                    guard set.count == 1, let task = data.tasks.first(where: { $0.name == set[0] }), task.kind.isClassification else {
                        throw ConfigurationError("finetune --balanced: balancing is per classification task, and \(set.joined(separator: "+")) is not one")
                    }
                    unitData.train = try data.train.balanced(on: set[0], seed: config.training.seed)
                }
                var training = config.training
                if keep == .best, !training.selection.contains("."), !["loss", "fisher", "last"].contains(training.selection) {
                    // A bare metric (`accuracy`) is each model's own task's.
                    guard set.count == 1 else {
                        throw ConfigurationError("finetune: selection '\(training.selection)' names no task, which is clear only for one-task models; use TASK.METRIC")
                    }
                    training.selection = "\(set[0]).\(training.selection)"
                }
                let unit = try TaskSetTraining(data: unitData, spec: spec, training: training, initFrom: config.initFrom, strictInit: config.strictInit,
                                               root: root.appendingPathComponent("networks"), dropUnusedHeads: dropUnusedHeads, source: config.data)
                return (try unit.canonical(set), unit)
            }
        } catch {
            let networks = root.appendingPathComponent("networks")
            if (try? FileManager.default.contentsOfDirectory(atPath: networks.path))?.isEmpty == true { try? FileManager.default.removeItem(at: networks) }
            if created, (try? FileManager.default.contentsOfDirectory(atPath: root.path))?.isEmpty == true { try? FileManager.default.removeItem(at: root) }
            throw error
        }
        var models: [Model] = []
        for (tasks, unit) in units {
            let name = tasks.joined(separator: "+")
            guard let record = try unit.train(tasks, onEvent: { onEvent?(name, $0) }, shouldStop: shouldStop) else { return nil }
            let directory = try unit.directory(for: tasks)
            let best = directory.appendingPathComponent("best.safetensors")
            guard FileManager.default.fileExists(atPath: best.path) else {
                throw ConfigurationError("finetune: the model of \(name) finished, but its kept weights \(best.path) are gone; remove \(directory.path) to train it again")
            }
            let model = try MultiTaskModel(spec: unit.spec, tasks: unit.data.tasks.filter { tasks.contains($0.name) }, seed: 0, dropUnusedHeads: true)
            try InitCheckpoint.load(best, into: model, strict: true)
            let fisher = FisherInformation.logTrace(try FisherInformation.diagonal(model: model, data: try unit.data.train.selecting(tasks: tasks),
                                                                                   settings: config.training.selectionFisher))
            models.append(Model(tasks: tasks, file: String(best.path.dropFirst(root.path.count + 1)), epoch: record.result.bestEpoch, epochs: record.result.epochs,
                                validation: record.result.validation, test: record.result.test, fisherLogTrace: fisher, seconds: record.seconds))
        }
        let record = Record(data: config.data, model: config.model, pretrained: config.initFrom!, pretrainedFingerprint: pretrained, keep: keep, balanced: balanced, fisherExamples: config.training.selectionFisher.examples, models: models)
        try RunDirectory.writeJSON(record, to: recordFile)
        return record
    }
}
