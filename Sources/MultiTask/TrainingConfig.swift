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
    /// Model selection on validation: `loss` (sum of task losses) or `task.metric` (e.g. `class.accuracy`).
    public var selection = "loss"

    public init() {}
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
