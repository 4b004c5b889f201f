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
        var rng = RandomGenerator(seed: settings.seed)
        let chosen = Array(rng.permutation(data.count).prefix(settings.examples))
        let fishers = try perTask(model: model, data: data, examples: chosen, tasks: tasks, labels: settings.labels, rng: &rng)
        return fishers.dropFirst().reduce(fishers[0], +)
    }

    /// Each of `tasks`' diagonal Fisher of the parameters named (nil: all), from one forward
    /// pass per example and one gradient per label; a task's Fisher is the mean over the
    /// examples that have a label for it (all of them, unless the labels are empirical).
    /// `FisherInformation` sums these over tasks; Task2Vec embeddings compare them.
    static func perTask(model: MultiTaskModel, data: Dataset, examples chosen: [Int], tasks: [TaskSpec], labels kind: Labels,
                        parameters names: [String]? = nil, rng: inout RandomGenerator) throws -> [ParameterSet] {
        if kind == .empirical {
            for task in tasks {
                guard let labels = data.labels[task.name]?.scalars else { throw ConfigurationError("fisher: the data have no labels for task '\(task.name)'") }
                guard chosen.contains(where: { !labels[$0].isNaN }) else {
                    throw ConfigurationError("fisher: task '\(task.name)' has no label among the \(chosen.count) example(s) drawn from '\(data.name)', so its empirical Fisher is undefined")
                }
            }
        }
        let network = model.network
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        let size = data.exampleShape.reduce(1, *)
        let zeros = network.parameters().filter { names?.contains($0) ?? true }.map { Tensor.zeros($0.shape) }
        var sums = tasks.map { _ in zeros }
        var counts = [Int](repeating: 0, count: tasks.count)
        let inputs = data.inputs.scalars
        for n in chosen {
            let input = Tensor(shape: [1] + data.exampleShape, scalars: Array(inputs[(n * size) ..< ((n + 1) * size)]))
            // One forward pass per example; each label's log-likelihood is differentiated on its graph.
            var terms: [(task: Int, probability: Double)] = []
            let (_, gradients) = try network.valuesAndGradients(of: names) { () throws -> [Tensor] in
                let outputs = Dictionary(uniqueKeysWithValues: network.forward(input).outputs.map { ($0.task, $0.output) })
                var losses: [Tensor] = []
                for (k, task) in tasks.enumerated() {
                    let output = outputs[task.name]!
                    for (label, probability) in try labels(task, output.scalars, n: n, data: data, kind: kind, rng: &rng) where probability > 0 {
                        losses.append(logLikelihood(task, output, label))
                        terms.append((k, probability))
                    }
                }
                return losses
            }
            for k in Set(terms.map(\.task)) { counts[k] += 1 }
            for (gradient, term) in zip(gradients, terms) { sums[term.task] = sums[term.task] + gradient.map { $0 * $0 * Float(term.probability) } }
        }
        return zip(sums, counts).map { sum, count in sum * Float(1 / Double(Swift.max(count, 1))) }
    }

    /// log tr F = log Σ Fᵢ over all entries (−∞ for a zero Fisher).
    public static func logTrace(_ fisher: ParameterSet) -> Double {
        var trace = 0.0
        for (_, tensor) in fisher { for value in tensor.scalars { trace += Double(value) } }
        return Foundation.log(trace)
    }

    /// The labels to differentiate at for one example, with their weights: one sampled or given
    /// label at weight 1, or every label at its probability. nil (a missing label) gives none.
    private static func labels(_ task: TaskSpec, _ output: [Float], n: Int, data: Dataset, kind: Labels,
                               rng: inout RandomGenerator) throws -> [(Float?, Double)] {
        switch kind {
        case .empirical:
            let label = data.labels[task.name]!.scalars[n]
            return label.isNaN ? [] : [(label, 1)]
        case .sampled:
            return [(sample(task, output, using: &rng), 1)]
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

    /// A label drawn from the head's prediction: a class from the softmax (or the sigmoid for
    /// one logit), or the prediction plus unit Gaussian noise for regression.
    static func sample(_ task: TaskSpec, _ output: [Float], using rng: inout RandomGenerator) -> Float {
        switch task.kind {
        case .regression: return output[0] + rng.nextNormal()
        case .multiclass, .binary:
            if output.count == 1 { return Float(rng.nextUniform()) < 1 / (1 + exp(-output[0])) ? 1 : 0 }
            let top = output.max()!
            let weights = output.map { exp(Double($0 - top)) }
            var u = Double(rng.nextUniform()) * weights.reduce(0, +)
            for (c, w) in weights.enumerated() {
                u -= w
                if u <= 0 { return Float(c) }
            }
            return Float(output.count - 1)
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
