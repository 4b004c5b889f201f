import Foundation
import NN

/// TAG's lookahead inter-task affinity (Fifty et al., "Efficiently Identifying Task Groupings
/// for Multi-Task Learning", NeurIPS 2021):
///
///   Z(i→j) = 1 − L_j(θ_s − Δ_i, θ_j) / L_j(θ_s, θ_j)
///
/// on the step's own batch, heads fixed, where Δ_i is the update the trainer's real optimizer
/// would make from task i's shared gradient alone (its momentum and Adam state included; TAG's
/// own PyTorch patch drops momentum). Positive: i's step lowers j's loss. Sampled every `every`
/// steps before the update; averaged per epoch, then over epochs.
public final class TAGLookahead: AffinityEstimator {
    public struct Settings: Sendable, Equatable {
        /// Sample every `every` steps (steps 0, every, 2·every, ...).
        public var every = 10
        /// Divide Z by the learning rate (TAG's option, comparable across learning rates).
        public var divideByLearningRate = false
        /// Report the sum of the epoch means instead of their mean (TAG's option).
        public var sumOfEpochMeans = false
        public init() {}
    }

    public let tasks: [String]
    public let settings: Settings
    private var means: EpochMeans
    private var seconds = 0.0

    public init(tasks: [String], settings: Settings = Settings()) {
        (self.tasks, self.settings) = (tasks, settings)
        means = EpochMeans(size: tasks.count)
    }

    public func wantsTaskGradients(atStep index: Int) -> Bool { index % settings.every == 0 }

    public func beforeUpdate(_ step: TrainingStep) throws {
        guard step.index % settings.every == 0, let gradients = step.taskGradients else { return }
        let started = ContinuousClock.now
        let scale = settings.divideByLearningRate ? 1 / Double(step.learningRate) : 1
        var sample: [[Double]] = []
        for gradient in gradients {
            let lookahead = try step.losses(withShared: step.shared - step.proposedUpdate(gradient))
            sample.append(zip(lookahead, step.losses).map { after, before in (1 - after / before) * scale })
        }
        means.add(sample, step: step.index)
        seconds += (ContinuousClock.now - started).seconds
    }

    public func endEpoch(_ epoch: Int) { means.endEpoch() }
    public func keepSamples() { means.keepSamples = true }
    public var id: String { "tag" }
    public var state: [String: [Double]] {
        get { means.encoded(seconds: seconds) }
        set { seconds = means.decode(newValue) }
    }
    public func samples() -> [(step: Int, values: [[Double]])] { means.samples }

    public func matrix() -> AffinityMatrix {
        AffinityMatrix(tasks: tasks, values: means.result(sumOfEpochs: settings.sumOfEpochMeans), method: "tag",
                       settings: ["every": "\(settings.every)", "divide-by-lr": "\(settings.divideByLearningRate)", "sum-of-epoch-means": "\(settings.sumOfEpochMeans)"],
                       steps: means.steps, seconds: seconds)
    }
}
