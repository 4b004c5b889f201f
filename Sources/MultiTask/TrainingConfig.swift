import Foundation
import NN
import Optimizers

/// Everything that decides a training run, saved with it (`config.json`) so a run can be resumed
/// and reproduced.
public struct TrainingConfig: Sendable, Equatable, Codable {
    public var epochs = 10
    public var batchSize = 128
    public var optimizer = OptimizerConfig()
    public var schedule = ScheduleConfig()
    /// `equal`, `static:w1,w2,...`, `uw`, `dwa[:T]` or `rlw`.
    public var weighting = "equal"
    /// Clip the global gradient norm to this value.
    public var gradientClip: Float?
    public var seed: UInt64 = 0
    public var shuffle = true
    public var dropLast = false
    /// Stop after this many optimizer steps in total (a resumable stop).
    public var maxSteps: Int?
    /// Early stopping: stop after this many epochs without a better validation value.
    public var patience: Int?
    /// Model selection on validation: `loss` (sum of task losses) or `task.metric` (e.g. `class.accuracy`);
    /// `fisher`, the epoch of highest Fisher log-trace on the training set (`FisherInformation`,
    /// labels sampled from the model, `fisherExamples` examples chosen by the seed); or `last`,
    /// the last epoch (the "best" weights are then always the latest).
    public var selection = "loss"
    /// Examples the `fisher` selection's Fisher is averaged over (nil: 256).
    public var fisherExamples: Int?

    /// The Fisher the `fisher` selection measures: `fisherExamples` examples and labels drawn by the
    /// run's seed, the same every epoch.
    public var selectionFisher: FisherInformation.Settings {
        var settings = FisherInformation.Settings()
        (settings.examples, settings.seed) = (fisherExamples ?? 256, seed)
        return settings
    }
    /// A gradient method on the shared parameters (`GradientMethods.names`), or nil for the
    /// weighted loss's own gradient.
    public var gradientMethod: String?
    /// Apply the gradient method to the tasks' gradients at the shared representation (the trunk's
    /// output) instead of the trunk's parameters ("rep-grad", MGDA-UB's bound): one backward pass
    /// through the trunk instead of one per task. Not for GradNorm, which balances a layer's norms.
    public var representationGradients: Bool?
    /// Threads of the engine for this run (nil: the process default, `ComputeThreads.processDefault`).
    /// Results are bit-identical for a fixed count, so a run records the count it used.
    public var threads: Int?

    public init() {}

    /// Checks every setting before any work starts; errors name the field and the expected range.
    /// With `tasks`, also the selection metric and per-task settings.
    public func validate(tasks: [TaskSpec]? = nil) throws {
        func require(_ ok: Bool, _ field: String, _ expected: String, _ value: Any) throws {
            guard ok else { throw ConfigurationError("\(field) must be \(expected), got \(value)") }
        }
        try require(epochs >= 1, "epochs", "at least 1", epochs)
        try require(batchSize >= 1 && batchSize <= 1 << 24, "batch size", "between 1 and 16777216", batchSize)
        if let gradientClip { try require(gradientClip.isFinite && gradientClip > 0, "clip (the gradient-norm limit)", "a positive number", gradientClip) }
        if let maxSteps { try require(maxSteps >= 1, "max-steps", "at least 1", maxSteps) }
        if let patience { try require(patience >= 1, "patience", "at least 1 epoch", patience) }
        if let threads { try require(threads >= 1 && threads <= 1024, "threads", "between 1 and 1024", threads) }
        if representationGradients == true && gradientMethod == nil {
            throw ConfigurationError("rep-grad applies a gradient method at the shared representation; give one with --gradient-method")
        }
        if let fisherExamples { try require(fisherExamples >= 1 && fisherExamples <= 1 << 24, "fisher examples", "between 1 and 16777216", fisherExamples) }
        try optimizer.validate()
        try schedule.validate(epochs: epochs)
        if let tasks {
            _ = try Weightings.make(weighting, tasks: tasks.count, seed: seed)
            if let gradientMethod {
                _ = try GradientMethods.make(gradientMethod, tasks: tasks.count, seed: seed)
                if representationGradients == true && gradientMethod.hasPrefix("gradnorm") {
                    throw ConfigurationError("gradient method 'gradnorm' balances the gradient norms of the trunk's last layer, so it cannot run on the representation's gradients (--rep-grad)")
                }
                if representationGradients == true && gradientMethod.hasPrefix("dbmtl") {
                    throw ConfigurationError("gradient method 'dbmtl' keeps moving averages of the gradients across steps, and the representation's gradients belong to each batch's examples (--rep-grad)")
                }
                guard ["equal", "ew"].contains(weighting.lowercased()) else {
                    throw ConfigurationError("gradient method '\(gradientMethod)' combines the tasks' own gradients of the shared parameters, so weighting '\(weighting)' would apply to the heads only; use one of them (--weighting equal with a gradient method)")
                }
            }
            if !["loss", "fisher", "last"].contains(selection) {
                let parts = selection.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2, let task = tasks.first(where: { $0.name == parts[0] }) else {
                    throw ConfigurationError("selection '\(selection)': expected 'loss', 'fisher', 'last' or TASK.METRIC with one of the tasks \(tasks.map(\.name).joined(separator: ", "))")
                }
                let names = Metrics.names(task.kind)
                guard names.contains(parts[1]) || parts[1] == "loss" else {
                    throw ConfigurationError("selection '\(selection)': task '\(task.name)' (\(task.kind)) has the metrics \(names.joined(separator: ", ")) (and loss)")
                }
            }
        }
    }
}

/// Optimizer settings with PyTorch's defaults.
public struct OptimizerConfig: Sendable, Equatable, Codable {
    /// `sgd`, `adam` or `adamw`.
    public var kind = "adam"
    public var learningRate: Float = 1e-3
    public var momentum: Float = 0
    public var dampening: Float = 0
    public var nesterov = false
    public var weightDecay: Float = 0
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init() {}

    /// Checks the values and that every set option applies to this optimizer (`--nesterov` or
    /// `--momentum` with Adam would be silently ignored, so they are errors).
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ expected: String, _ value: Any) throws {
            guard ok else { throw ConfigurationError("optimizer: \(field) must be \(expected), got \(value)") }
        }
        guard ["sgd", "adam", "adamw"].contains(kind) else { throw ConfigurationError("optimizer: unknown kind '\(kind)' (known: sgd, adam, adamw)") }
        try require(learningRate.isFinite && learningRate >= 0, "lr (learning rate)", "a finite number ≥ 0", learningRate)
        try require(weightDecay.isFinite && weightDecay >= 0, "weight decay", "a finite number ≥ 0", weightDecay)
        if kind == "sgd" {
            try require(momentum.isFinite && momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum)
            try require(dampening.isFinite && dampening >= 0 && dampening <= 1, "dampening", "in [0, 1]", dampening)
            guard !nesterov || (momentum > 0 && dampening == 0) else { throw ConfigurationError("optimizer: nesterov needs momentum > 0 and dampening 0") }
        } else {
            guard momentum == 0 else { throw ConfigurationError("optimizer: momentum applies to sgd only; \(kind) has beta1 (\(beta1)) instead") }
            guard !nesterov else { throw ConfigurationError("optimizer: nesterov applies to sgd only, not \(kind)") }
            guard dampening == 0 else { throw ConfigurationError("optimizer: dampening applies to sgd only, not \(kind)") }
            try require(beta1 >= 0 && beta1 < 1, "beta1", "in [0, 1)", beta1)
            try require(beta2 >= 0 && beta2 < 1, "beta2", "in [0, 1)", beta2)
            try require(epsilon.isFinite && epsilon > 0, "epsilon", "a positive number", epsilon)
        }
    }

    /// The optimizer these settings describe.
    public func make() throws -> any Optimizer {
        switch kind {
        case "sgd":
            guard !nesterov || (momentum > 0 && dampening == 0) else { throw ConfigurationError("optimizer: nesterov needs momentum > 0 and dampening 0") }
            return SGD(learningRate: learningRate, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
        case "adam": return Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        case "adamw": return Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: true)
        default: throw ConfigurationError("optimizer: unknown kind '\(kind)' (known: sgd, adam, adamw)")
        }
    }
}

/// A learning-rate schedule over epochs.
public struct ScheduleConfig: Sendable, Equatable, Codable {
    /// `constant`, `step`, `cosine` or `warmup-cosine`.
    public var kind = "constant"
    public var stepSize = 10
    public var gamma: Float = 0.1
    public var warmupEpochs = 1
    public var minimum: Float = 0

    public init() {}

    /// Checks the kind and its settings.
    public func validate(epochs: Int) throws {
        _ = try make(epochs: epochs)
        guard stepSize >= 1 else { throw ConfigurationError("schedule: step size must be at least 1 epoch, got \(stepSize)") }
        guard gamma.isFinite && gamma > 0 else { throw ConfigurationError("schedule: gamma must be a positive number, got \(gamma)") }
        guard warmupEpochs >= 0 else { throw ConfigurationError("schedule: warmup epochs must be ≥ 0, got \(warmupEpochs)") }
        guard minimum.isFinite && minimum >= 0 else { throw ConfigurationError("schedule: minimum learning rate must be ≥ 0, got \(minimum)") }
    }

    /// The schedule for a run of `epochs` epochs.
    public func make(epochs: Int) throws -> any LearningRateSchedule {
        switch kind {
        case "constant": return ConstantSchedule()
        case "step": return StepDecay(stepSize: stepSize, gamma: gamma)
        case "cosine": return CosineAnnealing(period: Swift.max(epochs, 1), minimum: minimum)
        case "warmup-cosine":
            let warmup = Swift.min(warmupEpochs, Swift.max(epochs - 1, 0))
            return SequentialSchedule([LinearWarmup(startFactor: 0.1, steps: warmup), CosineAnnealing(period: Swift.max(epochs - warmup, 1), minimum: minimum)],
                                      milestones: [warmup])
        default: throw ConfigurationError("schedule: unknown kind '\(kind)' (known: constant, step, cosine, warmup-cosine)")
        }
    }
}
