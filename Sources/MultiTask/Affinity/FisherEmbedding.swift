import Data
import Foundation
import NN
import Optimizers
import Tensors

/// Task2Vec-style Fisher task embeddings (Achille et al., "Task2Vec: Task Embedding for
/// Meta-Learning", ICCV 2019): for each task, the diagonal of the Fisher information of the
/// shared (trunk) parameters of a probe network,
///
///   F_t = (1/N) Σ_n (∂ log p_t(y_n | x_n) / ∂θ)²,
///
/// per example, with y_n drawn from the model's own prediction (the true Fisher; `empirical`
/// uses the data's labels), as `FisherInformation` computes it (regression heads are unit
/// Gaussians, whatever the task's training loss). Tasks are compared by the normalised cosine of Task2Vec: with
/// a = F_s / (F_s + F_t) and b = F_t / (F_s + F_t) elementwise, similarity = cos(a, b) (Task2Vec's
/// distance is 1 − this). As in Task2Vec, the Fisher of each weight tensor is averaged over every
/// weight of the same filter (output unit or channel) by default: single weights' Fishers from a
/// few hundred examples are too noisy to compare. The probe is the trunk as given — here, the
/// multi-task network's after training — in evaluation mode, with the heads trained with it or,
/// as Task2Vec fits each task's classifier on its frozen feature extractor, refitted from a fresh
/// start on the frozen trunk (`headSteps`).
public enum FisherEmbedding {
    public struct Settings: Sendable, Equatable {
        /// Examples (drawn without replacement, seeded) the Fisher is averaged over.
        public var examples = 500
        /// Labels from the data (empirical Fisher) instead of drawn from the model.
        public var empirical = false
        /// Average each weight tensor's Fisher over its filters (Task2Vec); false keeps every weight.
        public var perFilter = true
        /// The probe's training: full-batch Adam steps (lr 0.01) refitting every head from a fresh
        /// initialisation on the frozen trunk's features of the chosen examples; 0 keeps the
        /// trained heads.
        public var headSteps = 0
        public var seed: UInt64 = 0
        public init() {}
    }

    /// Each task's diagonal Fisher over the trunk's parameters, in task order.
    public static func diagonals(model: MultiTaskModel, data: Dataset, settings: Settings = Settings()) throws -> [ParameterSet] {
        guard settings.examples >= 1 else { throw ConfigurationError("fisher: examples must be at least 1, got \(settings.examples)") }
        guard settings.headSteps >= 0 else { throw ConfigurationError("fisher: head steps must be at least 0, got \(settings.headSteps)") }
        var rng = RandomGenerator(seed: settings.seed)
        let chosen = Array(rng.permutation(data.count).prefix(settings.examples))
        let model = settings.headSteps == 0 ? model : try probe(model, data: data.subset(chosen), settings: settings)
        let trunk = model.network.trunkParameters().names
        return try FisherInformation.perTask(model: model, data: data, examples: chosen, tasks: model.tasks, labels: settings.empirical ? .empirical : .sampled,
                                             parameters: trunk, rng: &rng)
    }

    /// A copy of `model` whose heads are refitted on its frozen trunk: fresh heads (seeded), then
    /// `headSteps` full-batch Adam steps on the sum of the task losses over `examples` (the heads
    /// are independent, so each is fitted to its own task).
    static func probe(_ model: MultiTaskModel, data examples: Dataset, settings: Settings) throws -> MultiTaskModel {
        let probe = try MultiTaskModel(spec: model.spec, tasks: model.tasks, seed: settings.seed)
        let fresh = probe.network.parameters().filter { !$0.hasPrefix("trunk.") }
        try probe.network.load(stateDict: model.network.stateDict())
        try probe.network.update(parameters: fresh)
        let network = probe.network
        network.eval()
        let features = withoutGradients {
            Tensor.concatenate(stride(from: 0, to: examples.count, by: 256).map { start in
                network.trunk(examples.subset(Array(start..<Swift.min(start + 256, examples.count))).inputs)
            })
        }
        let labels = model.tasks.map { examples.labels[$0.name]! }
        var optimizer = Adam(learningRate: 0.01)
        var heads = fresh
        for _ in 0..<settings.headSteps {
            let (_, gradients) = network.valuesAndGradients(of: heads.names) {
                let losses = zip(model.tasks, labels).map { task, y in task.loss(network.head(task.name, features), y) }
                return [losses.dropFirst().reduce(losses[0], +)]
            }
            heads = optimizer.step(heads, gradients: gradients[0])
            try network.update(parameters: heads)
        }
        return probe
    }

    /// The embedding compared: each tensor of rank ≥ 2 ([out, in, ...]) averaged over all but its
    /// first axis, so one value per filter; vectors (biases) stay as they are.
    public static func filterMeans(_ fisher: ParameterSet) -> ParameterSet {
        ParameterSet(fisher.map { name, tensor in
            guard tensor.rank >= 2 else { return (name, tensor) }
            let filters = tensor.shape[0], size = tensor.count / Swift.max(filters, 1), scalars = tensor.scalars
            return (name, Tensor((0..<filters).map { f in scalars[(f * size)..<((f + 1) * size)].reduce(0, +) / Float(size) }))
        })
    }

    /// Task2Vec's normalised cosine similarity of two diagonal Fishers (1 = identical pattern).
    public static func similarity(_ a: ParameterSet, _ b: ParameterSet) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (name, ta) in a {
            guard let tb = b[name] else { continue }
            for (x, y) in zip(ta.scalars, tb.scalars) {
                let total = Double(x) + Double(y) + 1e-30
                let (p, q) = (Double(x) / total, Double(y) / total)
                dot += p * q
                na += p * p
                nb += q * q
            }
        }
        return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : .nan
    }

    /// The similarity of every pair of tasks (symmetric, 1 on the diagonal).
    public static func matrix(model: MultiTaskModel, data: Dataset, settings: Settings = Settings()) throws -> AffinityMatrix {
        let started = ContinuousClock.now, cpuStarted = CPUTime.now()
        let fishers = try diagonals(model: model, data: data, settings: settings).map { settings.perFilter ? filterMeans($0) : $0 }
        let values = fishers.indices.map { i in fishers.indices.map { j in i == j ? 1 : similarity(fishers[i], fishers[j]) } }
        return AffinityMatrix(tasks: model.tasks.map(\.name), values: values, method: "fisher",
                              settings: ["examples": "\(settings.examples)", "head steps": "\(settings.headSteps)", "per filter": "\(settings.perFilter)", "labels": settings.empirical ? "empirical" : "sampled", "seed": "\(settings.seed)"],
                              seconds: (ContinuousClock.now - started).seconds, computeSeconds: CPUTime.now() - cpuStarted)
    }
}

/// Fisher task embeddings as an estimator of a training run: measured on the finished network
/// (the probe) and its training set.
public final class FisherAffinity: AffinityEstimator {
    public let tasks: [String]
    public let settings: FisherEmbedding.Settings
    private var result: AffinityMatrix?

    public init(tasks: [String], settings: FisherEmbedding.Settings = FisherEmbedding.Settings()) {
        (self.tasks, self.settings) = (tasks, settings)
    }

    public func wantsTaskGradients(atStep index: Int) -> Bool { false }
    public func beforeUpdate(_ step: TrainingStep) throws {}

    public func trainingFinished(model: MultiTaskModel, train: Dataset) throws {
        result = try FisherEmbedding.matrix(model: model, data: train, settings: settings)
    }

    public func keepSamples() {}
    public var id: String { "fisher" }
    public var state: [String: [Double]] {
        get { result.map { ["values": $0.values.flatMap { $0 }, "seconds": [$0.seconds]] } ?? [:] }
        set {
            guard let flat = newValue["values"], flat.count == tasks.count * tasks.count else { return }
            var matrix = AffinityMatrix(tasks: tasks, values: tasks.indices.map { i in Array(flat[(i * tasks.count)..<((i + 1) * tasks.count)]) }, method: "fisher")
            matrix.seconds = newValue["seconds"]?.first ?? 0
            result = matrix
        }
    }
    /// None: the embedding is measured once, after training.
    public func samples() -> [(step: Int, values: [[Double]])] { [] }

    /// NaN until training has finished.
    public func matrix() -> AffinityMatrix {
        result ?? AffinityMatrix(tasks: tasks, values: tasks.map { _ in tasks.map { _ in .nan } }, method: "fisher")
    }
}
