import Data
import Foundation
import NN
import Optimizers
import Tensors

/// Trains a multi-task model: epochs of seeded mini-batches, a loss-weighting method (or a
/// gradient method on the shared parameters), the optimizer and schedule, evaluation on the
/// validation set after every epoch, the best epoch's weights kept (chosen on validation, never on
/// test), early stopping, and exact resume from the run directory.
public final class Trainer {
    public let model: MultiTaskModel
    public let train: Dataset
    public let validation: Dataset?
    public let config: TrainingConfig
    public let directory: RunDirectory?
    public var gradientMethod: (any GradientMethod)?
    /// Called after every step and epoch, for progress displays.
    public var onEvent: ((TrainingEvent) -> Void)?
    /// Checked after every step; when it returns true the trainer saves a resumable checkpoint and
    /// stops (Ctrl-C through `Interruption.requested`).
    public var shouldStop: () -> Bool = { false }

    public private(set) var state = TrainingState()
    private var optimizer: any Optimizer
    private var weighting: any LossWeighting
    private let schedule: any LearningRateSchedule

    /// A trainer for a fresh run, writing into `directory` when given (created if missing).
    public init(model: MultiTaskModel, train: Dataset, validation: Dataset?, config: TrainingConfig, directory: URL? = nil) throws {
        for task in model.tasks where train.labels[task.name] == nil {
            throw ConfigurationError("task '\(task.name)' has no labels in the training set '\(train.name)' (it has: \(train.tasks.map(\.name).joined(separator: ", ")))")
        }
        guard config.epochs > 0, config.batchSize > 0 else { throw ConfigurationError("epochs and batch size must be positive") }
        try model.checkInputs(train)
        if let validation { try model.checkInputs(validation) }
        if config.selection != "loss" {
            let parts = config.selection.split(separator: ".")
            guard parts.count == 2, model.tasks.contains(where: { $0.name == parts[0] }) else {
                throw ConfigurationError("selection '\(config.selection)': expected 'loss' or 'task.metric' with one of the tasks \(model.tasks.map(\.name))")
            }
        }
        self.model = model
        self.train = train
        self.validation = validation
        self.config = config
        self.directory = directory.map(RunDirectory.init)
        optimizer = try config.optimizer.make()
        weighting = try Weightings.make(config.weighting, tasks: model.tasks.count, seed: config.seed)
        schedule = try config.schedule.make(epochs: config.epochs)
        if let dir = self.directory {
            try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
            try RunDirectory.writeJSON(config, to: dir.config)
            try AtomicWrite.write(Data(model.spec.yaml().utf8), to: dir.spec)
        }
    }

    /// Continues the run saved in `directory` exactly where it stopped.
    public static func resume(directory url: URL, train: Dataset, validation: Dataset?, tasks: [TaskSpec]) throws -> Trainer {
        let dir = RunDirectory(url)
        let config = try RunDirectory.readJSON(TrainingConfig.self, from: dir.config)
        let spec = try ModelSpec.load(dir.spec)
        let model = try MultiTaskModel(spec: spec, tasks: tasks, seed: config.seed)
        let trainer = try Trainer(model: model, train: train, validation: validation, config: config, directory: url)
        try trainer.restore()
        return trainer
    }

    // MARK: Training

    /// Runs until the configured epochs, the step limit or early stopping; returns the summary.
    @discardableResult
    public func run() throws -> TrainingSummary {
        let steps = DataLoader(train, batchSize: config.batchSize, shuffle: config.shuffle, dropLast: config.dropLast, seed: config.seed).batchCount
        model.network.train()
        while state.epoch < config.epochs && !state.finished {
            let started = ContinuousClock.now
            let epoch = state.epoch
            optimizer.learningRate = schedule.learningRate(at: epoch, base: config.optimizer.learningRate)
            if state.stepInEpoch == 0 { state.epochLossSums = Array(repeating: 0, count: model.tasks.count) }
            let loader = DataLoader(train, batchSize: config.batchSize, shuffle: config.shuffle, dropLast: config.dropLast, seed: config.seed, epoch: epoch)
            for batch in PrefetchingBatches(loader, skipping: state.stepInEpoch) {
                let losses = try step(batch)
                for k in losses.indices { state.epochLossSums[k] += losses[k] }
                state.stepInEpoch += 1
                state.globalStep += 1
                onEvent?(.step(epoch: epoch, epochs: config.epochs, step: state.stepInEpoch, steps: steps,
                               losses: Dictionary(uniqueKeysWithValues: zip(model.tasks.map(\.name), losses))))
                if let limit = config.maxSteps, state.globalStep >= limit {
                    try save()
                    return summary(stoppedAtStepLimit: true)
                }
                if shouldStop() {
                    try save()
                    return summary(stoppedAtStepLimit: false, interrupted: true)
                }
            }
            try finishEpoch(steps: steps, seconds: (ContinuousClock.now - started).seconds)
        }
        state.finished = true
        try save()
        return summary(stoppedAtStepLimit: false)
    }

    /// One optimizer step; returns each task's loss.
    private func step(_ batch: Batch) throws -> [Double] {
        var taskLosses: [Double] = []
        var perTask: [ParameterSet] = []
        var (_, gradients, weightingGradients) = model.network.valueAndGradient(with: weighting.parameters) { leaves in
            let losses = model.losses(batch)
            taskLosses = losses.map { Double($0.scalar) }
            if gradientMethod != nil {
                // Inside this closure the network's parameters are the graph leaves, so each task's
                // gradient of the shared trunk comes from this same forward pass.
                let shared = model.network.trunkParameters()
                perTask = losses.map { ParameterSet(zip(shared.names, $0.gradients(wrt: shared.tensors)).map { ($0, $1) }) }
            }
            return weighting.combine(losses, parameters: leaves)
        }
        for (task, loss) in zip(model.tasks, taskLosses) where !loss.isFinite {
            throw TrainingError.nonFiniteLoss(task: task.name, epoch: state.epoch + 1, step: state.stepInEpoch + 1, value: loss)
        }
        if var method = gradientMethod {
            let direction = method.combine(perTask, losses: taskLosses)
            gradientMethod = method
            for name in direction.names { gradients[name] = direction[name] }
        }
        if let clip = config.gradientClip {
            (gradients, _) = Clipping.clipGradientNorm(gradients, maxNorm: clip)
        }
        var parameters = model.network.parameters()
        for (name, value) in weighting.parameters { parameters.insert(name, value) }
        for (name, value) in weightingGradients { gradients.insert(name, value) }
        let updated = optimizer.step(parameters, gradients: gradients)
        try model.network.update(parameters: updated.filter { !$0.hasPrefix("weighting.") })
        weighting.parameters = updated.with(prefix: "weighting.")
        return taskLosses
    }

    private func finishEpoch(steps: Int, seconds: Double) throws {
        let means = state.epochLossSums.map { $0 / Double(Swift.max(state.stepInEpoch, 1)) }
        let usedWeights = weighting.weights
        weighting.endEpoch(meanLosses: means)
        let evaluation = validation.map { model.evaluate($0) }
        let value = evaluation.map(selectionValue)
        state.epoch += 1
        state.stepInEpoch = 0
        let record = EpochRecord(epoch: state.epoch, step: state.globalStep, learningRate: Double(optimizer.learningRate),
                                 trainLoss: Dictionary(uniqueKeysWithValues: zip(model.tasks.map(\.name), means)),
                                 weights: Dictionary(uniqueKeysWithValues: zip(model.tasks.map(\.name), usedWeights)),
                                 validation: evaluation, selectionValue: value, seconds: seconds)
        state.history.append(record)
        if let value, state.bestValue.map({ value < $0 }) ?? true {
            state.bestValue = value
            state.bestEpoch = state.epoch
            state.epochsWithoutImprovement = 0
            if let dir = directory { try model.network.save(to: dir.bestModel, metadata: checkpointMetadata()) }
        } else if value != nil {
            state.epochsWithoutImprovement += 1
            if let patience = config.patience, state.epochsWithoutImprovement >= patience { state.finished = true }
        }
        onEvent?(.epoch(record))
        try save()
    }

    /// Lower is better: the summed validation loss, or the negated metric when higher is better.
    private func selectionValue(_ evaluation: Evaluation) -> Double {
        guard config.selection != "loss" else { return evaluation.totalLoss }
        let parts = config.selection.split(separator: ".").map(String.init)
        guard let metric = evaluation[parts[0]]?.metric(parts[1]) else { return .infinity }
        return metric.higherIsBetter ? -metric.value : metric.value
    }

    // MARK: Checkpoints

    private func checkpointMetadata() -> [String: String] {
        ["spec": model.spec.yaml(), "tasks": model.tasks.map(\.name).joined(separator: ","), "epoch": "\(state.epoch)"]
    }

    /// Writes the model, optimizer, state and metrics of the run (each file atomically).
    private func save() throws {
        guard let dir = directory else { return }
        state.weighting = weighting.state
        state.weightingParameters = Dictionary(uniqueKeysWithValues: weighting.parameters.map { ($0.name, $0.tensor.scalars) })
        state.dropoutGenerators = Dictionary(uniqueKeysWithValues: model.network.namedModules().compactMap { name, module in
            (module as? Dropout).map { (name, GeneratorState.encode($0.rng)) }
        })
        try model.network.save(to: dir.lastModel, metadata: checkpointMetadata())
        try optimizer.state().write(to: dir.optimizer)
        try RunDirectory.writeJSON(state, to: dir.state)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let lines = try state.history.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try AtomicWrite.write(Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8), to: dir.metrics)
    }

    private func restore() throws {
        guard let dir = directory else { return }
        state = try RunDirectory.readJSON(TrainingState.self, from: dir.state)
        try model.network.load(from: dir.lastModel)
        try optimizer.load(try OptimizerState.read(from: dir.optimizer))
        weighting.state = state.weighting
        var learned = weighting.parameters
        for (name, values) in state.weightingParameters {
            guard let current = learned[name], current.count == values.count else { throw ConfigurationError("\(dir.state.path): weighting parameter '\(name)' does not fit") }
            learned[name] = Tensor(shape: current.shape, scalars: values)
        }
        weighting.parameters = learned
        for (name, module) in model.network.namedModules() {
            guard let dropout = module as? Dropout, let saved = state.dropoutGenerators[name].flatMap(GeneratorState.decode) else { continue }
            dropout.rng = saved
        }
    }

    private func summary(stoppedAtStepLimit: Bool, interrupted: Bool = false) -> TrainingSummary {
        TrainingSummary(epochs: state.epoch, steps: state.globalStep, bestEpoch: state.bestEpoch, bestValue: state.bestValue,
                        stoppedAtStepLimit: stoppedAtStepLimit, stoppedEarly: state.finished && state.epoch < config.epochs,
                        interrupted: interrupted, history: state.history)
    }

    /// Loads the best epoch's weights (or keeps the last when there was no validation set).
    public func loadBest() throws {
        guard let dir = directory, state.bestEpoch != nil else { return }
        try model.network.load(from: dir.bestModel)
    }
}

/// Progress reports from a running trainer.
public enum TrainingEvent: Sendable {
    case step(epoch: Int, epochs: Int, step: Int, steps: Int, losses: [String: Double])
    case epoch(EpochRecord)
}

/// How a run ended.
public struct TrainingSummary: Sendable, Codable {
    public var epochs: Int
    public var steps: Int
    public var bestEpoch: Int?
    public var bestValue: Double?
    public var stoppedAtStepLimit: Bool
    public var stoppedEarly: Bool
    /// Stopped by `shouldStop` (Ctrl-C) with a resumable checkpoint saved.
    public var interrupted = false
    public var history: [EpochRecord]

    /// Whether the run stopped before its end and can continue with `Trainer.resume`.
    public var resumable: Bool { stoppedAtStepLimit || interrupted }
}

/// Training failures that name where they happened.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(task: String, epoch: Int, step: Int, value: Double)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let task, let epoch, let step, let value):
            "the loss of task '\(task)' became \(value) at epoch \(epoch), step \(step): lower the learning rate, clip gradients (--clip), or check the labels"
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The loader's batches, each gathered on a background thread while the previous one trains
/// (data work only: the batches, and so the results, are the same as without prefetching). The
/// thread is its own, not one of libdispatch's, which the engine's parallel loops need free.
struct PrefetchingBatches: Sequence, IteratorProtocol {
    private let worker: Worker

    init(_ loader: DataLoader, skipping: Int) {
        var iterator = loader.makeIterator()
        for _ in 0..<skipping { _ = iterator.next() }
        worker = Worker(iterator)
    }

    /// The batch gathered while the previous one trained; starts gathering the one after it.
    mutating func next() -> Batch? { worker.take() }

    /// A thread that gathers one batch per request. The loader state is handed between the two
    /// threads through the semaphores, so only one of them touches it at a time; the thread keeps
    /// that state alive itself and never refers to the worker.
    private final class Worker {
        private final class Shared: @unchecked Sendable {
            var iterator: DataLoader.Iterator
            var gathered: Batch?
            var finished = false
            let request = DispatchSemaphore(value: 0), ready = DispatchSemaphore(value: 0)
            init(_ iterator: DataLoader.Iterator) { self.iterator = iterator }
        }

        private let shared: Shared
        /// Whether a gather has been requested and not yet taken.
        private var inFlight = true

        init(_ iterator: DataLoader.Iterator) {
            shared = Shared(iterator)
            let shared = self.shared
            Thread {
                while true {
                    shared.request.wait()
                    if shared.finished { return }
                    shared.gathered = shared.iterator.next()
                    shared.ready.signal()
                }
            }.start()
            shared.request.signal()
        }

        func take() -> Batch? {
            guard inFlight else { return nil }
            shared.ready.wait()
            let batch = shared.gathered
            shared.gathered = nil
            if batch == nil { inFlight = false; shared.finished = true }
            shared.request.signal()
            return batch
        }

        /// Ends the thread, after the gather in flight (if any) has finished.
        deinit {
            guard inFlight else { return }
            shared.ready.wait()
            shared.finished = true
            shared.request.signal()
        }
    }
}
