import Foundation
import NN

/// Cosine similarity of the tasks' gradients of the shared parameters (the "CS" baseline of
/// TAG, Fifty et al. 2021; also Yu et al. 2020's conflict measure): cos(g_i, g_j), symmetric,
/// sampled every `every` steps and averaged per epoch, then over epochs. `matricesOnly` uses only
/// tensors of rank ≥ 2 (weights, not biases), as TAG's code does.
public final class GradientCosine: AffinityEstimator {
    public struct Settings: Sendable, Equatable {
        public var every = 1
        public var matricesOnly = false
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
        guard step.index % settings.every == 0, var gradients = step.taskGradients else { return }
        let started = ContinuousClock.now
        if settings.matricesOnly { gradients = gradients.map { set in set.filter { name in (set[name]?.shape.count ?? 0) >= 2 } } }
        var sample = Array(repeating: Array(repeating: 1.0, count: tasks.count), count: tasks.count)
        for i in tasks.indices {
            for j in tasks.indices where j > i {
                let cosine = gradients[i].cosine(gradients[j])
                (sample[i][j], sample[j][i]) = (cosine, cosine)
            }
        }
        means.add(sample, step: step.index)
        seconds += (ContinuousClock.now - started).seconds
    }

    public func endEpoch(_ epoch: Int) { means.endEpoch() }
    public func keepSamples() { means.keepSamples = true }
    public var id: String { "cosine" }
    public var state: [String: [Double]] {
        get { means.encoded(seconds: seconds) }
        set { seconds = means.decode(newValue) }
    }
    public func samples() -> [(step: Int, values: [[Double]])] { means.samples }

    public func matrix() -> AffinityMatrix {
        AffinityMatrix(tasks: tasks, values: means.result(sumOfEpochs: false), method: "cosine",
                       settings: ["every": "\(settings.every)", "matrices-only": "\(settings.matricesOnly)"], steps: means.steps, seconds: seconds)
    }
}
