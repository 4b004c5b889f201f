import Foundation
import NN
import Tensors

/// FAMO (Liu et al. 2023, "FAMO: Fast Adaptive Multitask Optimization"): task weights z = softmax(ξ)
/// and the objective Σₜ zₜ log Lₜ / c with c = Σₜ zₜ/Lₜ held constant, whose gradient Σₜ (zₜ/(cLₜ))∇Lₜ
/// moves every log loss at a rate set by z; ξ then takes an Adam step (lr 0.025, weight decay 1e-3,
/// the paper's) on the gradient of softmax(ξ) against the drop in log loss since the last step,
/// δₜ = log Lₜ(previous) − log Lₜ(now), so tasks whose loss fell least gain weight. The update uses
/// the next step's losses (LibMTL's one-step lag: no extra forward pass). Working on log losses, it
/// is invariant to scaling a task's loss. O(T) per step: no per-task gradients.
public struct FAMO: LossWeighting {
    public let name = "famo"
    public private(set) var weights: [Double]
    private var logits: [Double]
    private var previous: [Double]?
    private var adam: ScalarAdam
    let decay = 1e-3, epsilon = 1e-8

    public init(tasks: Int) {
        logits = Array(repeating: 0, count: tasks)
        weights = Array(repeating: 1 / Double(tasks), count: tasks)
        adam = ScalarAdam(count: tasks, learningRate: 0.025)
    }

    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor {
        // A loss of exactly 0 is a task without labels in the batch: it is left out of c, of the
        // objective and of the logits' update (its δ is 0), instead of swamping them.
        let present = losses.map { $0.scalar != 0 }
        let values = losses.map { Swift.max(Double($0.scalar), 0) + epsilon }
        if let previous {
            updateLogits(delta: (0..<values.count).map { present[$0] && previous[$0] > epsilon ? Foundation.log(previous[$0]) - Foundation.log(values[$0]) : 0 })
        }
        var next = values  // an absent task keeps its last loss with labels
        if let previous { for i in next.indices where !present[i] { next[i] = previous[i] } }
        previous = next
        let z = Self.softmax(logits)
        weights = z
        let c = zip(z, values).enumerated().reduce(0.0) { $0 + (present[$1.offset] ? $1.element.0 / $1.element.1 : 0) }
        guard c > 0 else { return losses.reduce(Tensor(0), +) }
        // Σ zₜ log(Lₜ + ε) / c: its gradient is Σ zₜ ∇Lₜ / (c (Lₜ + ε)).
        return zip(losses, z).enumerated().map { i, pair in present[i] ? (pair.0 + Float(epsilon)).log() * Float(pair.1 / c) : pair.0 * 0 }.reduce(Tensor(0), +)
    }

    /// One Adam step on ξ with the gradient J_softmax(ξ)ᵀ δ (and L2 decay, as torch's Adam).
    private mutating func updateLogits(delta: [Double]) {
        let z = Self.softmax(logits)
        let dot = zip(z, delta).reduce(0.0) { $0 + $1.0 * $1.1 }
        let gradient = (0..<z.count).map { z[$0] * (delta[$0] - dot) + decay * logits[$0] }
        adam.update(&logits, gradient: gradient)
    }

    static func softmax(_ x: [Double]) -> [Double] {
        let top = x.max() ?? 0
        let e = x.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    public var state: [String: [Double]] {
        get {
            var state = adam.state
            state["logits"] = logits
            if let previous { state["previous"] = previous }
            return state
        }
        set {
            if let l = newValue["logits"], l.count == logits.count { logits = l }
            adam.restore(newValue)
            previous = newValue["previous"]
            weights = Self.softmax(logits)
        }
    }
}
