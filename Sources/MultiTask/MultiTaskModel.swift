import Data
import Foundation
import NN
import Tensors

/// A shared-trunk network with one head per task and each task's loss and metrics.
public final class MultiTaskModel {
    /// The spec the network was built from: the given trunk, and per task the given head or a
    /// default linear head with the task's output count.
    public let spec: ModelSpec
    public let network: SharedTrunkNetwork
    public let tasks: [TaskSpec]

    /// Builds the network for `tasks` from `spec` (see `spec(for:tasks:dropUnusedHeads:)`).
    public init(spec: ModelSpec, tasks: [TaskSpec], seed: UInt64, dropUnusedHeads: Bool = false) throws {
        let adjusted = try MultiTaskModel.spec(for: spec, tasks: tasks, dropUnusedHeads: dropUnusedHeads)
        self.spec = adjusted
        self.tasks = tasks
        self.network = try adjusted.build(seed: seed)
    }

    /// The spec of the network for `tasks`, checked, before anything is allocated: heads the
    /// spec names for these tasks are used (their output width must fit the task), a single
    /// linear layer is made for the others, and a head for a task that is not learned is an
    /// error (a likely typo), unless `dropUnusedHeads` (built-in specs, whose heads are
    /// templates). Errors name the task.
    public static func spec(for spec: ModelSpec, tasks: [TaskSpec], dropUnusedHeads: Bool = false) throws -> ModelSpec {
        guard !tasks.isEmpty else { throw ModelSpecError(source: spec.name, path: "heads", message: "no tasks selected") }
        let unused = spec.heads.map(\.task).filter { name in !tasks.contains { $0.name == name } }
        if !unused.isEmpty && !dropUnusedHeads {
            throw ModelSpecError(source: spec.name, path: "heads.\(unused[0])",
                                 message: "a head for \(unused.count == 1 ? "a task" : "tasks") that is not learned (\(unused.joined(separator: ", "))); the tasks are \(tasks.map(\.name).joined(separator: ", "))")
        }
        var adjusted = spec
        adjusted.heads = tasks.map { task in
            spec.heads.first { $0.task == task.name } ?? ModelSpec.Head(task: task.name, layers: [.linear(in: nil, out: task.outputs, bias: true)])
        }
        let features = try adjusted.featureShape()
        guard features.count == 1 else {
            throw ModelSpecError(source: spec.name, path: "trunk", message: "the trunk must end in a flat feature vector (add flatten), ends in \(features)")
        }
        for ((task, shape), spec) in zip(try adjusted.outputShapes(), tasks) where shape != [spec.outputs] {
            throw ModelSpecError(source: adjusted.name, path: "heads.\(task)", message: "outputs \(shape) but the \(spec.kind) task with \(spec.loss) loss needs [\(spec.outputs)]")
        }
        return adjusted
    }

    /// Checks that `dataset`'s examples have the shape the model's input expects.
    public func checkInputs(_ dataset: Dataset, role: String = "data set") throws {
        try MultiTaskModel.checkInputs(spec, dataset, role: role)
    }

    /// `checkInputs` for a spec, before a network is built from it.
    static func checkInputs(_ spec: ModelSpec, _ dataset: Dataset, role: String) throws {
        guard dataset.exampleShape == spec.input else {
            let hint = dataset.exampleShape.reduce(1, *) == spec.input.reduce(1, *)
                ? " (same size: start the trunk with flatten and set input: \(dataset.exampleShape), or pick a model made for these inputs)" : ""
            throw ConfigurationError("model '\(spec.name)' expects inputs of shape \(spec.input) per example, but the \(role) '\(dataset.name)' has \(dataset.exampleShape)\(hint)")
        }
    }

    /// Checks, before any work, that `dataset` fits the model: the input shape, every task of
    /// the model present with the same kind, and every label valid for its head (a class index
    /// below the head's class count). Training, evaluation and the test set share this check.
    public func checkData(_ dataset: Dataset, role: String) throws {
        try checkInputs(dataset, role: role)
        for task in tasks {
            guard let info = dataset.task(named: task.name), let labels = dataset.labels[task.name] else {
                throw ConfigurationError("the \(role) '\(dataset.name)' has no task '\(task.name)' (it has: \(dataset.tasks.map(\.name).joined(separator: ", ")))")
            }
            switch (task.kind, info.kind) {
            case (.multiclass, .multiclass), (.binary, .binary), (.regression, .regression): break
            default: throw ConfigurationError("task '\(task.name)' is \(task.kind) in the model, but \(info.kind) in the \(role) '\(dataset.name)'")
            }
            guard let classes = task.kind.classCount else { continue }
            if let bad = labels.scalars.first(where: { !$0.isNaN && ($0 < 0 || $0 >= Float(classes) || $0 != $0.rounded()) }) {
                throw ConfigurationError("task '\(task.name)': the \(role) '\(dataset.name)' has the label \(bad), but the model's head has classes 0..<\(classes)")
            }
        }
    }

    /// Each task's loss on a batch, from one forward pass (autograd graph kept for every loss).
    public func losses(_ batch: Batch) -> [Tensor] {
        let outputs = network.forward(batch.inputs).outputs
        return zip(tasks, outputs).map { task, output in task.loss(output.output, batch.labels[task.name]!) }
    }

    /// Per-task loss and metrics over a whole dataset, in evaluation mode and without gradients.
    public func evaluate(_ dataset: Dataset, batchSize: Int = 1000) -> Evaluation {
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        var outputs = [[Float]](repeating: [], count: tasks.count)
        var lossSums = [Double](repeating: 0, count: tasks.count), labelled = [Double](repeating: 0, count: tasks.count)
        withoutGradients {
            for batch in DataLoader(dataset, batchSize: batchSize, shuffle: false, seed: 0) {
                let heads = network.forward(batch.inputs).outputs
                for (k, task) in tasks.enumerated() {
                    let labels = batch.labels[task.name]!
                    let present = Double(labels.scalars.filter { !$0.isNaN }.count)
                    lossSums[k] += Double(task.loss(heads[k].output, labels).scalar) * present
                    labelled[k] += present
                    outputs[k] += heads[k].output.scalars
                }
            }
        }
        return Evaluation(tasks: tasks.enumerated().map { k, task in
            let rows = Tensor(shape: [dataset.count, task.outputs], scalars: outputs[k])
            return TaskEvaluation(task: task.name, loss: labelled[k] > 0 ? lossSums[k] / labelled[k] : .nan,
                                  metrics: Metrics.compute(task, outputs: rows, labels: dataset.labels[task.name]!), labelled: Int(labelled[k]))
        })
    }
}

/// One task's evaluation: mean loss over labelled examples and the task's metrics.
public struct TaskEvaluation: Sendable, Equatable, Codable {
    public var task: String
    public var loss: Double
    public var metrics: [Metric]
    /// Examples with a label for this task; 0 means the metrics are NaN ("no labels").
    public var labelled: Int?

    public init(task: String, loss: Double, metrics: [Metric], labelled: Int? = nil) {
        (self.task, self.loss, self.metrics, self.labelled) = (task, loss, metrics, labelled)
    }

    /// Whether there was nothing to measure.
    public var hasNoLabels: Bool { labelled == 0 }

    /// The metric named `name`, if computed.
    public func metric(_ name: String) -> Metric? { metrics.first { $0.name == name } }
}

/// Evaluation of every task.
public struct Evaluation: Sendable, Equatable, Codable {
    public var tasks: [TaskEvaluation]

    public subscript(task: String) -> TaskEvaluation? { tasks.first { $0.task == task } }

    /// Sum of the task losses (the default model-selection value, lower is better).
    public var totalLoss: Double { tasks.reduce(0) { $0 + $1.loss } }

    /// `task.metric` → value, flat, for logs and reports.
    public var flattened: [String: Double] {
        var out: [String: Double] = [:]
        for t in tasks {
            out["\(t.task).loss"] = t.loss
            for m in t.metrics { out["\(t.task).\(m.name)"] = m.value }
        }
        return out
    }
}

extension Dataset {
    /// Examples with a label (not NaN) for `task`.
    func labelledCount(_ task: String) -> Int {
        labels[task].map { $0.scalars.reduce(0) { $1.isNaN ? $0 : $0 + 1 } } ?? 0
    }
}

extension MultiTaskModel {
    /// Runs `body` (an extra forward pass in training mode, say) and then restores every buffer
    /// (BatchNorm's running statistics) and dropout generator, so that the training run it looks
    /// into is not changed by it.
    func preservingState<R>(_ body: () throws -> R) rethrows -> R {
        let buffers = network.buffers()
        let generators = network.namedModules().compactMap { name, module in (module as? Dropout).map { (name, $0.rng) } }
        defer {
            try? network.load(stateDict: buffers, strict: false)
            let modules = Dictionary(uniqueKeysWithValues: network.namedModules())
            for (name, rng) in generators { (modules[name] as? Dropout)?.rng = rng }
        }
        return try body()
    }
}
