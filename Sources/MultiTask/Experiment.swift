import Data
import Foundation
import NN
import Tensors

/// Where a run's examples come from: a built-in suite or CSV files, and which tasks to learn.
public struct DataSource: Sendable, Equatable, Codable {
    /// A built-in suite (`fashion-attributes`, `multifashion`, `synthetic`).
    public var suite: String?
    /// A CSV table (its tasks from `task:` headers); `testCSV` or else a seeded 20% split is the test set.
    public var csv: String?
    public var testCSV: String?
    /// Tasks to learn (all of the source's by default).
    public var tasks: [String]?
    /// Fraction of the training examples held out for validation (model selection).
    public var validationFraction = 0.1
    /// A directory with the Fashion-MNIST files, instead of the Debian package's.
    public var dataDirectory: String?
    public var seed: UInt64 = 0

    public init() {}
}

/// Train, validation and test sets with the tasks to learn.
public struct PreparedData: Sendable {
    public var train: Dataset
    public var validation: Dataset?
    public var test: Dataset
    public var tasks: [TaskSpec]

    /// Loads and splits the source. Errors name the file or the unknown task.
    public init(_ source: DataSource) throws {
        var (train, test): (Dataset, Dataset)
        if let suite = source.suite {
            let directory = source.dataDirectory.map { URL(fileURLWithPath: $0) }
            train = try TaskSuite.load(suite, split: .train, seed: source.seed, directory: directory)
            test = try TaskSuite.load(suite, split: .test, seed: source.seed, directory: directory)
        } else if let csv = source.csv {
            let table = try CSVDataset.load(URL(fileURLWithPath: csv))
            if let testCSV = source.testCSV {
                (train, test) = (table, try CSVDataset.load(URL(fileURLWithPath: testCSV)))
            } else {
                (train, test) = table.split(validationFraction: 0.2, seed: source.seed ^ 0x7E57)
            }
            let normalization = Normalization.fit(train.inputs, perFeature: true)
            train.inputs = normalization.apply(train.inputs)
            test.inputs = normalization.apply(test.inputs)
        } else {
            throw ConfigurationError("no data: give a suite (\(TaskSuite.names.joined(separator: ", "))) or a CSV file")
        }
        if let names = source.tasks {
            train = try train.selecting(tasks: names)
            test = try test.selecting(tasks: names)
        }
        try self.init(train: train, test: test, validationFraction: source.validationFraction, seed: source.seed)
    }

    /// Given training and test sets: carves a seeded validation split from the training set.
    public init(train: Dataset, test: Dataset, validationFraction: Double, seed: UInt64) throws {
        guard train.taskNames == test.taskNames else {
            throw ConfigurationError("train and test sets have different tasks: \(train.taskNames) vs \(test.taskNames)")
        }
        if validationFraction > 0 {
            let (fit, held) = train.split(validationFraction: validationFraction, seed: seed)
            (self.train, self.validation) = (fit, held)
        } else {
            (self.train, self.validation) = (train, nil)
        }
        self.test = test
        self.tasks = train.tasks.map { TaskSpec(name: $0.name, kind: $0.kind) }
    }
}

/// The outcome of a run on the test set, with single-task baselines and Δm% when trained.
public struct RunResults: Sendable, Codable {
    public var test: Evaluation
    public var bestEpoch: Int?
    public var baselines: Evaluation?
    public var deltaM: DeltaM?
    public var summary: TrainingSummary

    /// A Markdown table of the test metrics (and baselines and Δm% when present).
    public var markdown: String {
        var lines = ["| task | metric | multi-task |" + (baselines == nil ? "" : " single-task | change % |"),
                     "|---|---|---:|" + (baselines == nil ? "" : "---:|---:|")]
        for task in test.tasks {
            for metric in task.metrics {
                var line = "| \(task.task) | \(metric.name) | \(String(format: "%.4f", metric.value)) |"
                if let base = baselines?[task.task]?.metric(metric.name) {
                    line += " \(String(format: "%.4f", base.value)) | \(String(format: "%+.2f", deltaM?.perMetric["\(task.task).\(metric.name)"] ?? .nan)) |"
                }
                lines.append(line)
            }
        }
        if let deltaM { lines.append("\nΔm% = \(String(format: "%+.2f", deltaM.improvement)) (positive: better than single-task; the \"drop\" convention reports \(String(format: "%+.2f", deltaM.drop)))") }
        return lines.joined(separator: "\n")
    }
}

/// A whole run: train (or resume), reload the best epoch, evaluate on test, optionally train one
/// single-task model per task and compute Δm%. Writes `results.json` into the run directory.
public enum Experiment {
    public static func run(
        spec: ModelSpec, data: PreparedData, config: TrainingConfig, directory: URL?, initFrom checkpoint: URL? = nil,
        resume: Bool = false, baselines: Bool = false, gradientMethod: (any GradientMethod)? = nil,
        onEvent: ((TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false }
    ) throws -> RunResults {
        let trainer: Trainer
        if resume, let directory {
            trainer = try Trainer.resume(directory: directory, train: data.train, validation: data.validation, tasks: data.tasks)
        } else {
            let model = try MultiTaskModel(spec: spec, tasks: data.tasks, seed: config.seed)
            if let checkpoint { try model.network.load(from: checkpoint, strict: false) }
            trainer = try Trainer(model: model, train: data.train, validation: data.validation, config: config, directory: directory)
        }
        trainer.gradientMethod = gradientMethod
        trainer.onEvent = onEvent
        trainer.shouldStop = shouldStop
        let summary = try trainer.run()
        try trainer.loadBest()
        let test = trainer.model.evaluate(data.test)
        var results = RunResults(test: test, bestEpoch: summary.bestEpoch, baselines: nil, deltaM: nil, summary: summary)
        if baselines && !summary.resumable {
            var evaluations: [TaskEvaluation] = []
            for task in data.tasks {
                let single = try MultiTaskModel(spec: spec, tasks: [task], seed: config.seed)
                var singleConfig = config
                singleConfig.weighting = "equal"
                let baseline = try Trainer(model: single, train: data.train, validation: data.validation, config: singleConfig,
                                           directory: directory?.appendingPathComponent("baselines/\(task.name)"))
                baseline.onEvent = onEvent
                baseline.shouldStop = shouldStop
                try baseline.run()
                try baseline.loadBest()
                evaluations += single.evaluate(data.test).tasks
            }
            results.baselines = Evaluation(tasks: evaluations)
            results.deltaM = DeltaM(model: test, baselines: results.baselines!)
        }
        if let directory { try RunDirectory.writeJSON(results, to: RunDirectory(directory).results) }
        return results
    }
}
