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
    private var adam: (m: [Double], v: [Double], step: Int)
    let learningRate = 0.025

    public init(tasks: Int, alpha: Double = 1.5, layer: [String]) {
        (self.alpha, self.layer) = (alpha, layer)
        weights = Array(repeating: 1, count: tasks)
        adam = (Array(repeating: 0, count: tasks), Array(repeating: 0, count: tasks), 0)
    }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        combine(taskGradients, losses: losses, present: taskGradients.map { _ in true })
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
        adam.step += 1
        for i in 0..<t {
            adam.m[i] = 0.9 * adam.m[i] + 0.1 * gradient[i]
            adam.v[i] = 0.999 * adam.v[i] + 0.001 * gradient[i] * gradient[i]
            let mHat = adam.m[i] / (1 - Foundation.pow(0.9, Double(adam.step))), vHat = adam.v[i] / (1 - Foundation.pow(0.999, Double(adam.step)))
            weights[i] = Swift.max(weights[i] - learningRate * mHat / (vHat.squareRoot() + 1e-8), 1e-6)
        }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 * Double(t) / total }
        return direction
    }

    public var state: [String: [Double]] {
        get {
            var state = ["weights": weights, "m": adam.m, "v": adam.v, "step": [Double(adam.step)]]
            if let initial { state["initial"] = initial }
            return state
        }
        set {
            if let w = newValue["weights"], w.count == weights.count { weights = w }
            if let m = newValue["m"], m.count == weights.count { adam.m = m }
            if let v = newValue["v"], v.count == weights.count { adam.v = v }
            if let s = newValue["step"]?.first { adam.step = Int(s) }
            initial = newValue["initial"]
        }
    }
}
