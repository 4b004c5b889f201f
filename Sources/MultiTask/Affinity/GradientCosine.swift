import Foundation
import NN

/// Cosine similarity of the tasks' gradients of the shared parameters (the "CS" baseline of
/// TAG, Fifty et al. 2021; also Yu et al. 2020's conflict measure): cos(g_i, g_j), symmetric,
/// sampled every `every` steps and averaged per epoch, then over epochs. `matricesOnly` uses only
/// tensors of rank ≥ 2 (weights, not biases), as TAG's code does.
public final class GradientCosine: SampledAffinity {
    public struct Settings: Sendable, Equatable {
        public var every = 1
        public var matricesOnly = false
        public init() {}
    }

    public let settings: Settings

    public init(tasks: [String], settings: Settings = Settings()) {
        self.settings = settings
        super.init(tasks: tasks, method: "cosine", every: settings.every, sumOfEpochs: false,
                   settings: ["every": "\(settings.every)", "matrices-only": "\(settings.matricesOnly)"])
    }

    override func sample(_ step: TrainingStep, gradients: [ParameterSet]) throws -> [[Double]] {
        let used = settings.matricesOnly ? gradients.map { set in set.filter { name in (set[name]?.shape.count ?? 0) >= 2 } } : gradients
        var sample = Array(repeating: Array(repeating: 1.0, count: tasks.count), count: tasks.count)
        for i in tasks.indices {
            for j in tasks.indices where j > i {
                let cosine = used[i].cosine(used[j])
                (sample[i][j], sample[j][i]) = (cosine, cosine)
            }
        }
        return sample
    }
}
