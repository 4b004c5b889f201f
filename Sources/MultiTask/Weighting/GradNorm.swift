import Foundation
import NN

/// GradNorm (Chen et al. 2018, "GradNorm: Gradient Normalization for Adaptive Loss Balancing in
/// Deep Multitask Networks"): task weights wₜ (from 1, renormalised to sum T) learned so that the
/// weighted gradient norm of each task on the last shared layer, Gₜ = wₜ‖∇_W Lₜ‖, tracks
/// Ḡ·rₜ^α, where rₜ = (Lₜ/Lₜ(0)) / meanₛ(Lₛ/Lₛ(0)) is the task's relative inverse training rate and
/// Ḡ the mean of the Gₜ (held constant). The gradient of Σ|Gₜ − Ḡrₜ^α| with respect to wₜ is
/// sign(Gₜ − Ḡrₜ^α)·‖∇_W Lₜ‖; the weights take an Adam step (lr 0.025) on it. A task that trains
/// slower gains weight. α = 1.5. The shared parameters follow Σ wₜgₜ; the heads keep the
/// weighted loss's gradient of the run's loss weighting.
public struct GradNorm: GradientMethod {
    public let name = "gradnorm"
    public let alpha: Double
    /// The trunk tensors of the last shared layer, whose gradient norms are balanced.
    public let layer: [String]
    public private(set) var weights: [Double]
    private var initial: [Double]?
    private var adam: ScalarAdam

    public init(tasks: Int, alpha: Double = 1.5, layer: [String]) {
        (self.alpha, self.layer) = (alpha, layer)
        weights = Array(repeating: 1, count: tasks)
        adam = ScalarAdam(count: tasks, learningRate: 0.025)
    }

    /// A task without labels in the batch keeps its weight this step, and its initial loss is its
    /// first loss with labels.
    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let t = taskGradients.count
        let g = GradientMatrix(taskGradients)
        let direction = g.parameters(g.combination(weights))
        var initial = self.initial ?? [Double](repeating: .nan, count: t)
        for i in 0..<t where initial[i].isNaN && present[i] { initial[i] = Swift.max(losses[i], 1e-12) }
        self.initial = initial
        guard (0..<t).allSatisfy({ present[$0] && !initial[$0].isNaN }) else { return direction }
        let names = layer.isEmpty ? [taskGradients[0].names.last!] : layer
        let norms = taskGradients.map { set in names.reduce(0.0) { total, name in total + set[name]!.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot() }
        let ratios = zip(losses, initial).map { $0 / $1 }
        let meanRatio = ratios.reduce(0, +) / Double(t)
        let weighted = zip(weights, norms).map { $0 * $1 }
        let mean = weighted.reduce(0, +) / Double(t)
        let gradient = (0..<t).map { i -> Double in
            let target = mean * Foundation.pow(ratios[i] / Swift.max(meanRatio, 1e-12), alpha)
            let difference = weighted[i] - target
            return (difference > 0 ? 1 : difference < 0 ? -1 : 0) * norms[i]
        }
        adam.update(&weights, gradient: gradient)
        weights = weights.map { Swift.max($0, 1e-6) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 * Double(t) / total }
        return direction
    }

    public var state: [String: [Double]] {
        get {
            var state = adam.state
            state["weights"] = weights
            if let initial { state["initial"] = initial }
            return state
        }
        set {
            if let w = newValue["weights"], w.count == weights.count { weights = w }
            adam.restore(newValue)
            initial = newValue["initial"]
        }
    }
}
