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
    public private(set) var config: TrainingConfig
    /// The run directory (locked while this trainer lives), when the run is saved.
    public let directory: RunDirectory?
    /// The gradient method (from `config.gradientMethod`; a method of your own may be set here,
    /// and its `state` is saved and restored with the run like a named one's).
    public var gradientMethod: (any GradientMethod)?
    /// Watch every step (affinity estimators); they never change the run's results.
    public var observers: [any TrainingObserver] = []
    /// Called after every step and epoch, for progress displays.
    public var onEvent: ((TrainingEvent) -> Void)?
    /// Pruning masks (1 keeps, 0 prunes; by parameter name). Each masked parameter's gradient is
    /// multiplied by its mask before the optimizer step and its value after, so pruned weights stay
    /// exactly zero whatever the optimizer (momentum, Adam's moments, weight decay: their state for
    /// a pruned weight never leaves zero). Setting masks zeroes the pruned weights at once.
    public var masks: ParameterSet? {
        didSet {
            guard let masks else { return }
            let current = model.network.parameters()
            try! model.network.update(parameters: ParameterSet(masks.names.map { ($0, current[$0]! * masks[$0]!) }))
        }
    }
    /// Re-estimates `masks` during training (DiSparse's dynamic variant); the current masks are
    /// then saved with every snapshot.
    public var maskSchedule: DynamicMasks?
    /// Checked after every step; when it returns true the trainer saves a resumable checkpoint and
    /// stops (Ctrl-C through `Interruption.requested`).
    public var shouldStop: () -> Bool = { false }

    public internal(set) var state = TrainingState()
    var optimizer: any Optimizer
    var weighting: any LossWeighting
    private var schedule: any LearningRateSchedule
    /// Whether the epoch just finished scored best, so the next snapshot's best weights are its own.
    var bestIsCurrent = false
    /// A resumed run's saved gradient-method state, given to the method when training continues.
    var restoredMethodState: [String: [Double]]?
    /// A resumed run's saved gradient-method tensors, given to the method when training continues.
    var restoredMethodBuffers: ParameterSet?
    /// A resumed run's saved observer states, by id, given to the observers set by the time it continues.
    var restoredObserverStates: [String: [String: [Double]]]?

    /// A trainer for a fresh run. With `directory` the run is saved there: the directory is
    /// created and locked, and must not hold another run unless `overwrite`.
    public convenience init(model: MultiTaskModel, train: Dataset, validation: Dataset?, config: TrainingConfig,
                            directory: URL? = nil, overwrite: Bool = false) throws {
        try Trainer.check(model: model, train: train, validation: validation, config: config)
        let run = try directory.map { try RunDirectory.create($0, overwrite: overwrite) }
        var record = RunConfig()
        record.training = config
        try run?.writeIdentity(record, spec: model.spec)
        try self.init(model: model, train: train, validation: validation, config: config, run: run)
        try save()
    }

    /// A trainer writing into an opened run directory (whose identity files are written).
    init(model: MultiTaskModel, train: Dataset, validation: Dataset?, config: TrainingConfig, run: RunDirectory?) throws {
        try Trainer.check(model: model, train: train, validation: validation, config: config)
        self.model = model
        self.train = train
        self.validation = validation
        self.config = config
        self.directory = run
        optimizer = try config.optimizer.make()
        weighting = try Weightings.make(config.weighting, tasks: model.tasks.count, seed: config.seed)
        gradientMethod = try config.gradientMethod.map { try GradientMethods.make($0, tasks: model.tasks.count, seed: config.seed, lastLayer: Trainer.lastSharedLayer(model)) }
        schedule = try config.schedule.make(epochs: config.epochs)
    }

    /// Everything checked before any work: settings, tasks, shapes, labels, non-empty splits.
    static func check(model: MultiTaskModel, train: Dataset, validation: Dataset?, config: TrainingConfig) throws {
        try config.validate(tasks: model.tasks)
        try model.checkData(train, role: "training set")
        guard train.count > 0 else { throw ConfigurationError("the training set '\(train.name)' is empty: there is nothing to train on") }
        if let problem = try model.spec.batchMemoryProblem(batch: Swift.min(config.batchSize, train.count)) { throw ConfigurationError("batch size: \(problem)") }
        for task in model.tasks where train.labelledCount(task.name) == 0 {
            throw ConfigurationError("task '\(task.name)' has no labels in the training set '\(train.name)': it cannot be learned")
        }
        for task in model.tasks where task.kind.isClassification {
            let classes = Set(train.labels[task.name]!.scalars.filter { !$0.isNaN })
            guard classes.count >= 2 else {
                throw ConfigurationError("task '\(task.name)' has a single class (\(classes.first.map { String(Int($0)) } ?? "-")) in the training set '\(train.name)': there is nothing to learn, and its accuracy would read as perfect")
            }
        }
        if let validation {
            try model.checkData(validation, role: "validation set")
            guard validation.count > 0 else { throw ConfigurationError("the validation split is empty: raise the validation fraction, or set it to 0 to train without one") }
            for task in model.tasks where validation.labelledCount(task.name) == 0 {
                throw ConfigurationError("task '\(task.name)' has no labels in the validation split (\(validation.count) examples): raise the validation fraction so that model selection can measure it")
            }
        }
    }

    /// Continues the run saved in `directory` exactly where its current snapshot stopped (or from
    /// the start, when it was stopped before its first snapshot). `changes` may extend the run:
    /// more epochs, a new step limit (nil: run to the end), another thread count.
    public static func resume(directory url: URL, train: Dataset, validation: Dataset?, tasks: [TaskSpec],
                              changes: ResumeChanges = ResumeChanges()) throws -> Trainer {
        try resume(run: try RunDirectory.open(url), train: train, validation: validation, tasks: tasks, changes: changes)
    }

    /// `resume` on an opened directory; `freshStart` prepares the model when the run has no
    /// snapshot yet (it loads the run's initial checkpoint).
    static func resume(run: RunDirectory, train: Dataset, validation: Dataset?, tasks: [TaskSpec], changes: ResumeChanges,
                       freshStart: ((MultiTaskModel) throws -> Void)? = nil) throws -> Trainer {
        let url = run.url
        var record = try run.readConfig()
        let spec = try ModelSpec.load(run.spec)
        let learned = spec.heads.map(\.task)
        guard learned == tasks.map(\.name) else {
            throw RunDirectoryError.corrupt(path: run.spec.path, reason: "the run learns the tasks \(learned.joined(separator: ", ")), but the data gives \(tasks.map(\.name).joined(separator: ", "))")
        }
        let model = try MultiTaskModel(spec: spec, tasks: tasks, seed: record.training.seed)
        var config = record.training
        config.maxSteps = changes.maxSteps
        if let epochs = changes.epochs { config.epochs = epochs }
        if let threads = changes.threads { config.threads = threads }
        let trainer = try Trainer(model: model, train: train, validation: validation, config: config, run: run)
        if let pruning = record.pruning {
            trainer.prune(with: try Trainer.masks(run: run, model: model, fingerprint: pruning.masksFingerprint), request: pruning)
        }
        if let snapshot = try run.current() {
            // The state is checked against the larger of the old and new epoch counts, so that a
            // corrupt state is blamed on the file and fewer epochs than done on the option.
            let saved = try RunDirectory.readJSON(TrainingState.self, from: snapshot.stateFile)
            try Trainer.checkUnedited(record, savedUnder: saved.config, file: run.config.path)
            try saved.validate(tasks: tasks.count, stepsPerEpoch: trainer.stepsPerEpoch, epochs: Swift.max(record.training.epochs, config.epochs),
                               file: snapshot.stateFile.path)
            if let epochs = changes.epochs, epochs < saved.epoch {
                throw ConfigurationError("epochs \(epochs): the run in \(url.path) has already completed \(saved.epoch) epochs")
            }
            try trainer.restore(snapshot, state: saved)
        } else {
            try freshStart?(model)
        }
        if let limit = changes.maxSteps, limit <= trainer.state.globalStep {
            throw ConfigurationError("max-steps \(limit): the run in \(url.path) is already at step \(trainer.state.globalStep)")
        }
        if let epochs = changes.epochs, trainer.state.finished && !trainer.state.stoppedEarly && epochs > trainer.state.epoch {
            trainer.state.finished = false
        }
        if config != record.training {
            record.training = config
            try RunDirectory.writeJSON(record, to: run.config)
        }
        return trainer
    }

    /// config.json must hold the settings the snapshot was saved under, but for those a resume
    /// may change through its options (`RunConfig.changeableOnResume`) and the data files' paths
    /// (moved files; their contents are checked by fingerprint).
    static func checkUnedited(_ record: RunConfig, savedUnder saved: RunConfig?, file: String) throws {
        guard let saved else { return }  // saved before settings were recorded
        let edits = record.differences(from: saved).filter { !RunConfig.changeableOnResume.contains($0.field) && !RunConfig.relocatable.contains($0.field) }
        guard edits.isEmpty else {
            let list = edits.map { "\($0.field) is \($0.value), saved with \($0.saved)" }.joined(separator: "; ")
            throw RunDirectoryError.corrupt(path: file, reason: "was edited after the run's last snapshot (\(list)): put the saved values back; a resume changes only epochs, threads, the step limit and baselines, through its options")
        }
    }

    /// `checkUnedited` for the run in `run` (its config.json against its current snapshot), before
    /// anything is read from the config.
    package static func checkUnedited(_ run: RunDirectory) throws {
        guard let snapshot = try run.current() else { return }
        let state = try RunDirectory.readJSON(TrainingState.self, from: snapshot.stateFile)
        try checkUnedited(try run.readConfig(), savedUnder: state.config, file: run.config.path)
    }

    // MARK: Training

    /// Runs until the configured epochs, the step limit or early stopping; returns the summary.
    /// Everything runs on the configured thread count (`config.threads`, else the process default).
    @discardableResult
    public func run() throws -> TrainingSummary {
        try ComputeThreads.with(config.threads ?? ComputeThreads.count) { try runScoped() }
    }

    private func runScoped() throws -> TrainingSummary {
        let steps = stepsPerEpoch
        // Model selection on a handful of examples reads as exact (accuracy 1.0 from one) but is noise.
        if let validation {
            for task in model.tasks {
                let count = validation.labelledCount(task.name)
                if count < 10 {
                    onEvent?(.note("validation holds \(count) labelled example\(count == 1 ? "" : "s") of task '\(task.name)': model selection and validation metrics on so few are mostly noise (raise the validation fraction, or use more data)"))
                }
            }
        }
        if let saved = restoredMethodState, var method = gradientMethod {
            method.state = saved
            gradientMethod = method
        }
        restoredMethodState = nil
        if let saved = restoredMethodBuffers, var method = gradientMethod {
            method.buffers = saved
            gradientMethod = method
        }
        restoredMethodBuffers = nil
        if let saved = restoredObserverStates {
            for observer in observers { if let state = saved[observer.id] { observer.state = state } }
        }
        restoredObserverStates = nil
        if let directory, try directory.current() == nil { try save() }  // step 0, for a run stopped before its first save
        model.network.train()
        while state.epoch < config.epochs && !state.finished {
            let started = ContinuousClock.now, cpuStarted = CPUTime.now()
            let epoch = state.epoch
            optimizer.learningRate = schedule.learningRate(at: epoch, base: config.optimizer.learningRate)
            if state.stepInEpoch == 0 { state.epochLossSums = Array(repeating: 0, count: model.tasks.count) }
            let loader = DataLoader(train, batchSize: config.batchSize, shuffle: config.shuffle, dropLast: config.dropLast, seed: config.seed, epoch: epoch)
            for batch in PrefetchingBatches(loader, skipping: state.stepInEpoch) {
                let losses = try step(batch)
                for k in losses.indices { state.epochLossSums[k] += losses[k] }
                state.stepWeights = weighting.weights
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
            try finishEpoch(steps: steps, seconds: (ContinuousClock.now - started).seconds, cpuSeconds: CPUTime.now() - cpuStarted)
        }
        if !state.finished {
            state.finished = true
            try save()
        }
        for observer in observers { try observer.trainingFinished(model: model, train: train) }
        return summary(stoppedAtStepLimit: false)
    }

    static func checkFinite(_ losses: [Double], tasks: [TaskSpec], epoch: Int, step: Int) throws {
        for (task, loss) in zip(tasks, losses) where !loss.isFinite {
            throw TrainingError.nonFiniteLoss(task: task.name, epoch: epoch + 1, step: step + 1, value: loss)
        }
    }

    /// The trainer's own notes on a gradient method's step: tasks without labels in the batch, one task.
    private func methodNotes(_ method: String, present: [Bool]) -> [String] {
        var notes = zip(model.tasks, present).filter { !$0.1 }.map { task, _ in
            "task '\(task.name)' has no labels in some batches: its gradient there is zero, and \(method) leaves it out of those steps"
        }
        if model.tasks.count == 1 { notes.append("one task: \(method) has nothing to combine, so the update is that task's gradient") }
        return notes
    }

    /// Counts each note in the epoch's record and logs it the first time it appears in the run.
    private func record(_ notes: [String]) {
        for note in notes {
            state.epochNotes = state.epochNotes ?? [:]
            state.epochNotes![note, default: 0] += 1
            if !(state.reportedNotes ?? []).contains(note) {
                state.reportedNotes = (state.reportedNotes ?? []) + [note]
                onEvent?(.note(note))
            }
        }
    }

    /// The trunk tensors of its last layer with weights: its last tensor of rank ≥ 2 and any after it (the bias).
    static func lastSharedLayer(_ model: MultiTaskModel) -> [String] {
        let trunk = model.network.trunkParameters()
        guard let last = trunk.names.lastIndex(where: { trunk[$0]!.rank >= 2 }) else { return Array(trunk.names.suffix(1)) }
        return Array(trunk.names[last...])
    }

    /// Optimizer steps in one epoch.
    var stepsPerEpoch: Int {
        DataLoader(train, batchSize: config.batchSize, shuffle: config.shuffle, dropLast: config.dropLast, seed: config.seed).batchCount
    }

    /// One optimizer step; returns each task's loss.
    private func step(_ batch: Batch) throws -> [Double] {
        let index = state.globalStep
        if let schedule = maskSchedule, let current = masks, let updated = schedule.update(current, model: model, batch: batch, step: index) {
            masks = updated
        }
        let model = self.model
        // Which tasks have labels in the batch: only gradient methods need to know.
        let present = gradientMethod == nil ? [] : model.tasks.map { task in batch.labels[task.name].map { $0.scalars.contains { !$0.isNaN } } ?? false }
        let taskLosses: [Double]
        var gradients: ParameterSet
        var weightingGradients = ParameterSet()
        var observed: TrainingStep?
        if config.representationGradients == true, var method = gradientMethod {
            // Rep-grad: the method combines the tasks' gradients at the shared representation, and the
            // trunk's gradient is that direction pulled back in one pass.
            let needing = observers.filter { $0.wantsTaskGradients(atStep: index) }.map(\.id)
            guard needing.isEmpty else {
                throw ConfigurationError("--rep-grad: the estimator(s) \(needing.joined(separator: ", ")) need the tasks' gradients of the trunk's parameters, which --rep-grad does not compute; drop --rep-grad, or estimate with fisher only")
            }
            var notes: [String] = []
            var losses: [Double] = []
            let pass = try model.network.representationGradients(
                splitting: model.network.trunkParameters().names, features: { model.network.trunk(batch.inputs) },
                parts: { z in model.tasks.map { task in task.loss(model.network.head(task.name, z), batch.labels[task.name]!) } },
                combine: { atRepresentation, values in
                    losses = values.map { Double($0.scalar) }
                    try Trainer.checkFinite(losses, tasks: model.tasks, epoch: state.epoch, step: state.stepInEpoch)
                    let direction = method.combine(atRepresentation.map { ParameterSet([("representation", $0)]) }, losses: losses, present: present)
                    notes = method.pendingNotes
                    return direction["representation"]!
                })
            method.pendingNotes = []
            gradientMethod = method
            record(methodNotes(method.name, present: present) + notes)
            (taskLosses, gradients) = (pass.parts.map { Double($0.scalar) }, pass.gradients)
        } else {
            let wantsGradients = gradientMethod != nil || observers.contains { $0.wantsTaskGradients(atStep: index) }
            // One forward pass. When per-task gradients of the trunk are wanted, the training gradient
            // of the trunk is assembled from them (see `partsAndGradients`): no extra backward pass.
            let trunk = wantsGradients ? model.network.trunkParameters().names : []
            let pass = model.network.partsAndGradients(
                with: weighting.parameters, splitting: trunk, parts: { model.losses(batch) },
                objective: { losses, leaves in self.weighting.combine(losses, parameters: leaves) })
            taskLosses = pass.parts.map { Double($0.scalar) }
            gradients = pass.gradients
            weightingGradients = pass.extraGradients
            let perTask = pass.partGradients
            try Trainer.checkFinite(taskLosses, tasks: model.tasks, epoch: state.epoch, step: state.stepInEpoch)
            observed = observers.isEmpty ? nil : observedStep(batch, index: index, losses: taskLosses, taskGradients: wantsGradients ? perTask : nil)
            if let observed { for observer in observers { try observer.beforeUpdate(observed) } }
            if var method = gradientMethod {
                let direction = method.combine(perTask, losses: taskLosses, present: present)
                let notes = method.pendingNotes
                method.pendingNotes = []
                gradientMethod = method
                record(methodNotes(method.name, present: present) + notes)
                for name in direction.names { gradients[name] = direction[name] }
            }
        }
        if let masks {
            for name in masks.names { gradients[name] = gradients[name]! * masks[name]! }
        }
        if let clip = config.gradientClip {
            (gradients, _) = Clipping.clipGradientNorm(gradients, maxNorm: clip)
        }
        var parameters = model.network.parameters()
        for (name, value) in weighting.parameters { parameters.insert(name, value) }
        for (name, value) in weightingGradients { gradients.insert(name, value) }
        var updated = optimizer.step(parameters, gradients: gradients)
        if let masks {
            for name in masks.names { updated[name] = updated[name]! * masks[name]! }
        }
        try model.network.update(parameters: updated.filter { !$0.hasPrefix("weighting.") })
        weighting.parameters = updated.with(prefix: "weighting.")
        if let observed { for observer in observers { try observer.afterUpdate(observed) } }
        return taskLosses
    }

    /// The step as observers see it (see `TrainingStep`).
    private func observedStep(_ batch: Batch, index: Int, losses: [Double], taskGradients: [ParameterSet]?) -> TrainingStep {
        let network = model.network, model = self.model, optimizer = self.optimizer
        return TrainingStep(
            epoch: state.epoch, index: index, batch: batch, tasks: model.tasks.map(\.name), losses: losses, taskGradients: taskGradients,
            shared: network.trunkParameters(), learningRate: optimizer.learningRate,
            propose: { gradient in
                var copy = optimizer
                let current = network.parameters().filter { gradient[$0] != nil }
                return current - copy.step(current, gradients: gradient)
            },
            evaluate: { shared in
                try model.preservingState { try withoutGradients { try network.withParameters(shared) { model.losses(batch).map { Double($0.scalar) } } } }
            })
    }

    private func finishEpoch(steps: Int, seconds: Double, cpuSeconds: Double) throws {
        let means = state.epochLossSums.map { $0 / Double(Swift.max(state.stepInEpoch, 1)) }
        let usedWeights = state.stepWeights ?? weighting.weights
        weighting.endEpoch(meanLosses: means)
        for observer in observers { observer.endEpoch(state.epoch) }
        let evaluation = validation.map { model.evaluate($0) }
        let fisherLogTrace = config.selection == "fisher" ? try trainingFisherLogTrace() : nil
        let value = config.selection == "last" ? -Double(state.epoch + 1) : fisherLogTrace.map { -$0 } ?? evaluation.map(selectionValue)
        state.epoch += 1
        state.stepInEpoch = 0
        let record = EpochRecord(epoch: state.epoch, step: state.globalStep, learningRate: Double(optimizer.learningRate),
                                 trainLoss: Dictionary(uniqueKeysWithValues: zip(model.tasks.map(\.name), means)),
                                 weights: Dictionary(uniqueKeysWithValues: zip(model.tasks.map(\.name), usedWeights)),
                                 validation: evaluation, selectionValue: value, seconds: seconds, cpuSeconds: cpuSeconds, fisherLogTrace: fisherLogTrace,
                                 notes: state.epochNotes.map { $0.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) step\($0.value == 1 ? "" : "s"))" } })
        state.epochNotes = nil
        state.history.append(record)
        // Dynamic masks: an epoch before the final trim holds more weights than the budget.
        let eligible = maskSchedule.map { state.globalStep > $0.end } ?? true
        if eligible, let value, !value.isNaN, state.bestValue.map({ value < $0 }) ?? true {
            state.bestValue = value
            state.bestEpoch = state.epoch
            state.epochsWithoutImprovement = 0
            bestIsCurrent = true
        } else if eligible, value != nil {
            state.epochsWithoutImprovement += 1
            if let patience = config.patience, state.epochsWithoutImprovement >= patience {
                state.finished = true
                state.stoppedEarly = true
            }
        }
        if state.epoch >= config.epochs { state.finished = true }
        onEvent?(.epoch(record))
        try save()
    }

    /// log tr F of the model on its training set, for `selection: fisher` (the same examples every epoch).
    private func trainingFisherLogTrace() throws -> Double {
        FisherInformation.logTrace(try FisherInformation.diagonal(model: model, data: train, settings: config.selectionFisher))
    }

    /// Lower is better: the summed validation loss, or the negated metric when higher is better.
    private func selectionValue(_ evaluation: Evaluation) -> Double {
        guard config.selection != "loss" else { return evaluation.totalLoss }
        let parts = config.selection.split(separator: ".", maxSplits: 1).map(String.init)
        guard let task = evaluation[parts[0]] else { return .nan }
        if parts[1] == "loss" { return task.loss }
        guard let metric = task.metric(parts[1]) else { return .nan }
        return metric.higherIsBetter ? -metric.value : metric.value
    }

    private func summary(stoppedAtStepLimit: Bool, interrupted: Bool = false) -> TrainingSummary {
        TrainingSummary(epochs: state.epoch, steps: state.globalStep, bestEpoch: state.bestEpoch, bestValue: state.bestValue,
                        stoppedAtStepLimit: stoppedAtStepLimit, stoppedEarly: state.stoppedEarly,
                        interrupted: interrupted, history: state.history)
    }
}

/// What may change when a run is resumed; everything else comes from its directory.
public struct ResumeChanges: Sendable, Equatable {
    /// Train to this many epochs in all (at least those completed); the schedule is recomputed
    /// for the new total.
    public var epochs: Int?
    /// Stop (resumably) at this step in all; nil runs to the end.
    public var maxSteps: Int?
    /// Another thread count: the run continues correctly, but no longer bit-identically to an
    /// uninterrupted one.
    public var threads: Int?

    public init(epochs: Int? = nil, maxSteps: Int? = nil, threads: Int? = nil) {
        (self.epochs, self.maxSteps, self.threads) = (epochs, maxSteps, threads)
    }
}

/// Progress reports from a running trainer.
public enum TrainingEvent: Sendable {
    case step(epoch: Int, epochs: Int, step: Int, steps: Int, losses: [String: Double])
    case epoch(EpochRecord)
    /// Something the user should know (what an initial checkpoint matched, say).
    case note(String)
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
            "the loss of task '\(task)' became \(value) at epoch \(epoch), step \(step): lower the learning rate, clip gradients (--clip; training.clip in a study), or check the labels"
        }
    }
}

extension Duration {
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
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
