import Data
import NN
import Tensors

/// SNIP connection sensitivity (Lee et al. 2019, "SNIP: Single-shot Network Pruning based on
/// Connection Sensitivity"): for a mask m on the weights, ∂L(w ⊙ m)/∂m at m = 1 equals (∂L/∂w) ⊙ w,
/// so the score of a weight is |g ⊙ w|. As in DiSparse (Sun et al. 2022) it is summed over B
/// batches with the absolute value taken per batch, S[j] = Σ_b |∂L(x_b)/∂w_j · w_j|, and normalised
/// by its sum over the pool it competes in. Per task, L is the task's own unweighted loss and the
/// pool is the trunk plus the task's own head; jointly (plain SNIP), L is the sum of the tasks'
/// losses and the pool is every prunable weight. Prunable weights are those of linear and
/// convolution layers (rank ≥ 2): no biases, no normalisation parameters. The scores are taken
/// on the model's own weights in training mode, and the model is left exactly as it was.
public enum SNIPScores {
    /// The names of the prunable weights, in state_dict order.
    public static func prunable(_ model: MultiTaskModel) -> [String] {
        let parameters = model.network.parameters()
        return parameters.names.filter { parameters[$0]!.rank >= 2 }
    }

    /// Prunable weights of the trunk.
    public static func trunk(_ model: MultiTaskModel) -> [String] { prunable(model).filter { $0.hasPrefix("trunk.") } }

    /// Whether tensor `name` is in task `task`'s pool: the trunk, or the task's own head.
    static func inPool(_ name: String, of task: String) -> Bool { name.hasPrefix("trunk.") || name.hasPrefix("heads.\(task).") }

    /// Each task's normalised scores over its pool (trunk + its head), in task order; and the
    /// joint scores of the summed loss over every prunable weight.
    public static func compute(model: MultiTaskModel, data: Dataset, batches: Int, batchSize: Int, seed: UInt64) throws -> (perTask: [ParameterSet], joint: ParameterSet) {
        let names = prunable(model)
        guard !names.isEmpty else { throw ConfigurationError("pruning: the model has no linear or convolution weights to prune") }
        for task in model.tasks where data.labelledCount(task.name) == 0 {
            throw ConfigurationError("pruning: task '\(task.name)' has no labels in '\(data.name)', so it has no loss to score the weights by")
        }
        let weights = model.network.parameters().filter { names.contains($0) }
        var perTask = model.tasks.map { _ in weights.map { Tensor.zeros($0.shape) } }
        var joint = weights.map { Tensor.zeros($0.shape) }
        let network = model.network
        let wasTraining = network.isTraining
        network.train()
        defer { network.train(wasTraining) }
        try model.preservingState {
            var seen = 0, epoch = 0
            while seen < batches {
                for batch in DataLoader(data, batchSize: batchSize, shuffle: true, seed: seed, epoch: epoch) where seen < batches {
                    let (_, gradients) = network.valuesAndGradients(of: names) { model.losses(batch) }
                    var total: ParameterSet?
                    for t in model.tasks.indices {
                        perTask[t] = perTask[t] + (gradients[t] * weights).map { $0.abs() }
                        total = total.map { $0 + gradients[t] } ?? gradients[t]
                    }
                    joint = joint + (total! * weights).map { $0.abs() }
                    seen += 1
                }
                epoch += 1
                guard data.count > 0 else { throw ConfigurationError("pruning: the training set is empty") }
            }
        }
        let pools = model.tasks.map { task in perTask[0].names.filter { inPool($0, of: task.name) } }
        return (zip(perTask, pools).map { scores, pool in normalised(scores.filter { pool.contains($0) }) }, normalised(joint))
    }

    /// Scores divided by their sum (in Double); all zero when there is nothing to measure.
    static func normalised(_ scores: ParameterSet) -> ParameterSet {
        let total = scores.reduce(0.0) { sum, entry in sum + entry.tensor.scalars.reduce(0.0) { $0 + Double($1) } }
        return total > 0 ? scores.map { $0 * Float(1 / total) } : scores
    }
}
