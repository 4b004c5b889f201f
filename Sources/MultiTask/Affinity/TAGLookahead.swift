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
public final class TAGLookahead: SampledAffinity {
    public struct Settings: Sendable, Equatable {
        /// Sample every `every` steps (steps 0, every, 2·every, ...).
        public var every = 10
        /// Divide Z by the learning rate (TAG's option, comparable across learning rates).
        public var divideByLearningRate = false
        /// Report the sum of the epoch means instead of their mean (TAG's option).
        public var sumOfEpochMeans = false
        public init() {}

        var text: [String: String] {
            ["every": "\(every)", "divide-by-lr": "\(divideByLearningRate)", "sum-of-epoch-means": "\(sumOfEpochMeans)"]
        }
    }

    public let settings: Settings

    public init(tasks: [String], settings: Settings = Settings()) {
        self.settings = settings
        super.init(tasks: tasks, method: "tag", every: settings.every, sumOfEpochs: settings.sumOfEpochMeans, settings: settings.text)
    }

    override func sample(_ step: TrainingStep, gradients: [ParameterSet]) throws -> [[Double]] {
        let scale = settings.divideByLearningRate ? 1 / Double(step.learningRate) : 1
        return try gradients.map { gradient in
            let lookahead = try step.losses(withShared: step.shared - step.proposedUpdate(gradient))
            return zip(lookahead, step.losses).map { after, before in (1 - after / before) * scale }
        }
    }
}
