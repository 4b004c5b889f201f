import Foundation
import NN

/// TAG's lookahead to first order, from the per-task gradients alone (no extra forward pass):
///
///   Z(i→j) ≈ ⟨Δ_i, g_j⟩ / L_j,
///
/// since L_j(θ − Δ_i) ≈ L_j(θ) − ⟨Δ_i, g_j⟩. Δ_i is the real optimizer's update for task i's
/// gradient (see `TAGLookahead`). Sampled and averaged like TAG.
public final class FirstOrderLookahead: SampledAffinity {
    public let settings: TAGLookahead.Settings

    public init(tasks: [String], settings: TAGLookahead.Settings = TAGLookahead.Settings()) {
        self.settings = settings
        super.init(tasks: tasks, method: "first-order", every: settings.every, sumOfEpochs: settings.sumOfEpochMeans, settings: settings.text)
    }

    override func sample(_ step: TrainingStep, gradients: [ParameterSet]) throws -> [[Double]] {
        let scale = settings.divideByLearningRate ? 1 / Double(step.learningRate) : 1
        return gradients.map(step.proposedUpdate).map { update in
            zip(gradients, step.losses).map { g, loss in update.dot(g) / loss * scale }
        }
    }
}
