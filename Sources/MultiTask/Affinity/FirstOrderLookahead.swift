import Foundation
import NN

/// TAG's lookahead to first order, from the per-task gradients alone (no extra forward pass):
///
///   Z(i→j) ≈ ⟨Δ_i, g_j⟩ / L_j,
///
/// since L_j(θ − Δ_i) ≈ L_j(θ) − ⟨Δ_i, g_j⟩. Δ_i is the real optimizer's update for task i's
/// gradient (see `TAGLookahead`). Sampled and averaged like TAG.
public final class FirstOrderLookahead: AffinityEstimator {
    public let tasks: [String]
    public let settings: TAGLookahead.Settings
    private var means: EpochMeans
    private var seconds = 0.0

    public init(tasks: [String], settings: TAGLookahead.Settings = TAGLookahead.Settings()) {
        (self.tasks, self.settings) = (tasks, settings)
        means = EpochMeans(size: tasks.count)
    }

    public func wantsTaskGradients(atStep index: Int) -> Bool { index % settings.every == 0 }

    public func beforeUpdate(_ step: TrainingStep) throws {
        guard step.index % settings.every == 0, let gradients = step.taskGradients else { return }
        let started = ContinuousClock.now
        let scale = settings.divideByLearningRate ? 1 / Double(step.learningRate) : 1
        let updates = gradients.map(step.proposedUpdate)
        let sample = updates.map { update in zip(gradients, step.losses).map { g, loss in update.dot(g) / loss * scale } }
        means.add(sample, step: step.index)
        seconds += (ContinuousClock.now - started).seconds
    }

    public func endEpoch(_ epoch: Int) { means.endEpoch() }
    public func keepSamples() { means.keepSamples = true }
    public var id: String { "first-order" }
    public var state: [String: [Double]] {
        get { means.encoded(seconds: seconds) }
        set { seconds = means.decode(newValue) }
    }
    public func samples() -> [(step: Int, values: [[Double]])] { means.samples }

    public func matrix() -> AffinityMatrix {
        AffinityMatrix(tasks: tasks, values: means.result(sumOfEpochs: settings.sumOfEpochMeans), method: "first-order",
                       settings: ["every": "\(settings.every)", "divide-by-lr": "\(settings.divideByLearningRate)", "sum-of-epoch-means": "\(settings.sumOfEpochMeans)"],
                       steps: means.steps, seconds: seconds)
    }
}
