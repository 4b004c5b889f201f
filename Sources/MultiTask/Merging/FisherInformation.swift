import Data
import Foundation
import NN
import Tensors

/// The diagonal of a model's Fisher information,
///
///   F = E_x E_{y ~ p(·|x)} [(∂ log p(y|x) / ∂θ)²],
///
/// estimated from per-example gradients over N examples drawn (seeded, without replacement)
/// across a data set, with y drawn from the model's own prediction (`sampled`), summed over every
/// label weighted by its probability (`expected`, exact in y; Matena & Raffel's choice), or taken
/// from the data (`empirical`, the "empirical Fisher", which is not the Fisher). A multi-task
/// model's log-likelihood is the sum over its tasks' heads; since E_y[∂ log p/∂θ] = 0 the tasks'
/// cross terms vanish, so F is the sum of the tasks' Fishers. Regression heads are unit-variance
/// Gaussians: log p = −½(y − ŷ)². Used for Fisher merging and as a model's complexity, the log of
/// the trace of F (Achille et al. 2019, "Critical Learning Periods in Deep Networks").
///
/// Closed form for a softmax-linear model z = Wx + b: ∂ log p(y|x)/∂z = e_y − p, so the squared
/// gradient over (W, b) is ‖e_y − p‖²(‖x‖² + 1), and E_y‖e_y − p‖² = Σ_y p_y(1 − 2p_y + ‖p‖²) = 1 − ‖p‖²;
/// hence tr F = E_x[(‖x‖² + 1)(1 − ‖p‖²)] (checked in the tests).
public enum FisherInformation {
    public enum Labels: String, Sendable, CaseIterable, Codable {
        case sampled, expected, empirical
    }

    public struct Settings: Sendable, Equatable, Codable {
        /// N, the examples the expectation over x is averaged over (all of the data when fewer).
        public var examples = 256
        public var labels = Labels.sampled
        /// Chooses the examples and the sampled labels.
        public var seed: UInt64 = 0
        /// The tasks whose log-likelihoods are summed (nil: all of the model's).
        public var tasks: [String]?
        public init() {}
    }

    /// The metadata that marks a safetensors file as a Fisher diagonal (`mtk fisher -o`), so that
    /// it is never loaded as a model's weights.
    public static let marker = ["content": "fisher-diagonal"]

    /// Whether a file's metadata marks it as a Fisher diagonal.
    public static func marks(_ metadata: [String: String]) -> Bool { metadata["content"] == marker["content"] }

    /// The diagonal Fisher of every parameter of `model` (trunk and heads), in state_dict order.
    public static func diagonal(model: MultiTaskModel, data: Dataset, settings: Settings = Settings()) throws -> ParameterSet {
        guard settings.examples >= 1 else { throw ConfigurationError("fisher: examples must be at least 1, got \(settings.examples)") }
        if let names = settings.tasks {
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else { throw ConfigurationError("fisher: the task list is empty or has an empty name") }
            guard Set(names).count == names.count else { throw ConfigurationError("fisher: the task list names a task twice: \(names.joined(separator: ","))") }
        }
        guard data.count > 0 else { throw ConfigurationError("fisher: the data set '\(data.name)' is empty") }
        let tasks = try settings.tasks.map { names in
            try names.map { name in
                guard let task = model.tasks.first(where: { $0.name == name }) else {
                    throw ConfigurationError("fisher: task '\(name)' is not one of the model's (\(model.tasks.map(\.name).joined(separator: ", ")))")
                }
                return task
            }
        } ?? model.tasks
        if settings.labels == .empirical {
            for task in tasks where data.labels[task.name] == nil { throw ConfigurationError("fisher: the data have no labels for task '\(task.name)'") }
        }
        var rng = RandomGenerator(seed: settings.seed)
        let chosen = Array(rng.permutation(data.count).prefix(settings.examples))
        let network = model.network
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        let size = data.exampleShape.reduce(1, *)
        let parameters = network.parameters()
        var sum = parameters.map { Tensor.zeros($0.shape) }
        let inputs = data.inputs.scalars
        for n in chosen {
            let input = Tensor(shape: [1] + data.exampleShape, scalars: Array(inputs[(n * size) ..< ((n + 1) * size)]))
            // One forward pass per example; each label's log-likelihood is differentiated on its graph.
            var probabilities: [Double] = []
            let (_, gradients) = try network.valuesAndGradients { () throws -> [Tensor] in
                let outputs = Dictionary(uniqueKeysWithValues: network.forward(input).outputs.map { ($0.task, $0.output) })
                var terms: [Tensor] = []
                for task in tasks {
                    let output = outputs[task.name]!
                    for (label, probability) in try labels(task, output.scalars, n: n, data: data, settings: settings, rng: &rng) where probability > 0 {
                        terms.append(logLikelihood(task, output, label))
                        probabilities.append(probability)
                    }
                }
                return terms
            }
            for (gradient, probability) in zip(gradients, probabilities) { sum = sum + gradient.map { $0 * $0 * Float(probability) } }
        }
        return sum * Float(1 / Double(chosen.count))
    }

    /// log tr F = log Σ Fᵢ over all entries (−∞ for a zero Fisher).
    public static func logTrace(_ fisher: ParameterSet) -> Double {
        var trace = 0.0
        for (_, tensor) in fisher { for value in tensor.scalars { trace += Double(value) } }
        return Foundation.log(trace)
    }

    /// The labels to differentiate at for one example, with their weights: one sampled or given
    /// label at weight 1, or every label at its probability. nil (a missing label) gives none.
    private static func labels(_ task: TaskSpec, _ output: [Float], n: Int, data: Dataset, settings: Settings,
                               rng: inout RandomGenerator) throws -> [(Float?, Double)] {
        switch settings.labels {
        case .empirical:
            let label = data.labels[task.name]!.scalars[n]
            return label.isNaN ? [] : [(label, 1)]
        case .sampled:
            return [(FisherEmbedding.sample(task, output, using: &rng), 1)]
        case .expected:
            switch task.kind {
            case .regression: return [(nil, 1)]  // E_y[(y − ŷ)²] = 1: F is the squared gradient of ŷ
            case .multiclass, .binary:
                if output.count == 1 {
                    let p = 1 / (1 + exp(-Double(output[0])))
                    return [(1, p), (0, 1 - p)]
                }
                let top = output.max()!
                let weights = output.map { exp(Double($0 - top)) }
                let total = weights.reduce(0, +)
                return weights.enumerated().map { (Float($0), $1 / total) }
            }
        }
    }

    /// log p(label | output) for the task's head; a nil label (regression, expected) gives ŷ itself.
    private static func logLikelihood(_ task: TaskSpec, _ output: Tensor, _ label: Float?) -> Tensor {
        guard let label else { return output.sum() }
        switch task.kind {
        case .regression: return Loss.mse(output, Tensor(shape: [1, 1], scalars: [label])) * -0.5
        case .multiclass, .binary:
            if output.shape.last == 1 { return -Loss.binaryCrossEntropyWithLogits(output, Tensor(shape: [1, 1], scalars: [label])) }
            return -Loss.crossEntropy(output, Tensor([label]))
        }
    }
}
