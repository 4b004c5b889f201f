import Foundation
import NN
import Tensors

/// Adam (Kingma & Ba 2015) with PyTorch's semantics, and AdamW (Loshchilov & Hutter 2019):
/// m ← m + (1−β₁)(g − m); v ← β₂v + (1−β₂)g²; θ ← θ − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
/// Adam's weight decay adds λθ to the gradient (L2); AdamW's multiplies θ by (1 − ηλ) first.
public struct Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Decoupled weight decay (AdamW).
    public let decoupled: Bool
    private var moments: [String: [[Float]]] = [:]
    private var steps: [String: Int] = [:]
    private var order: [String] = []
    private var shapes: [String: [Int]] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = false) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.decoupled) =
            (learningRate, beta1, beta2, epsilon, weightDecay, decoupled)
    }

    /// AdamW: decoupled weight decay, PyTorch's default λ = 0.01.
    public static func adamW(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: true)
    }

    private var kind: String { decoupled ? "adamw" : "adam" }

    public mutating func step(_ parameters: ParameterSet, gradients: ParameterSet) -> ParameterSet {
        let (lr, b1, b2, eps, wd, decoupled) = (learningRate, beta1, beta2, epsilon, weightDecay, self.decoupled)
        for (name, g) in gradients where moments[name] == nil { order.append(name); shapes[name] = g.shape }
        var slots = moments
        moments = [:]
        var steps = self.steps
        let out = forEachParameter(parameters, gradients, slots: &slots, slotCount: 2) { name, p, updated, g, n, state, _ in
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            let correction1 = 1 - Foundation.pow(Double(b1), Double(t))
            let correction2 = 1 - Foundation.pow(Double(b2), Double(t))
            let stepSize = Float(Double(lr) / correction1)
            let correction2Root = Float(correction2.squareRoot())
            let decay = 1 - lr * wd
            var first: [Float] = [], second: [Float] = []
            swap(&first, &state[0])
            swap(&second, &state[1])
            defer { state[0] = first; state[1] = second }
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    let (m, v) = (m.baseAddress!, v.baseAddress!)
                    let rule = AdamRule(b1: b1, b2: b2, eps: eps, stepSize: stepSize, correction2Root: correction2Root,
                                        weightDecay: decoupled ? 0 : wd, decay: decoupled && wd != 0 ? decay : 1)
                    parallelChunks(n, costPerItem: 8) { range in
                        rule.apply(p + range.lowerBound, updated + range.lowerBound, g + range.lowerBound, m + range.lowerBound, v + range.lowerBound,
                                   count: range.count)
                    }
                }
            }
        }
        moments = slots
        self.steps = steps
        return out
    }

    public func state() -> OptimizerState {
        var tensors = SlotCoding.encode(moments, names: ["exp_avg", "exp_avg_sq"], order: order, shapes: shapes)
        for name in order { tensors.insert("step.\(name)", Tensor(Float(steps[name] ?? 0))) }
        return OptimizerState(kind: kind, hyperparameters: ["lr": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
                                                           "eps": Double(epsilon), "weight_decay": Double(weightDecay)],
                              tensors: tensors)
    }

    public mutating func load(_ state: OptimizerState) throws {
        guard state.kind == kind else { throw OptimizerError.wrongKind(expected: kind, found: state.kind) }
        let stepEntries = state.tensors.with(prefix: "step.")
        (moments, shapes, order) = try SlotCoding.decode(state.tensors.without(prefix: "step."), names: ["exp_avg", "exp_avg_sq"])
        steps = [:]
        for (key, value) in stepEntries { steps[String(key.dropFirst("step.".count))] = Int(value.scalars.first ?? 0) }
        for name in order where steps[name] == nil { throw OptimizerError.malformed("missing step.\(name)") }
        if let lr = state.hyperparameters["lr"] { learningRate = Float(lr) }
    }
}

/// One Adam step over a run of entries, eight at a time with a scalar tail; each entry gets the
/// same IEEE operations either way (d = g + λθ for coupled decay, θ·(1 − ηλ) first for decoupled):
/// m ← m + (1−β₁)(d − m); v ← β₂v + (1−β₂)d²; θ ← θ − s · m / (√v / √(1−β₂ᵗ) + ε).
private struct AdamRule {
    let b1: Float, b2: Float, eps: Float, stepSize: Float, correction2Root: Float
    /// Coupled (L2) weight decay λ, or 0.
    let weightDecay: Float
    /// Decoupled weight-decay factor 1 − ηλ, or 1.
    let decay: Float

    /// updated[i] = the new θ from p[i], g[i], with m and v updated in place.
    func apply(_ p: UnsafePointer<Float>, _ updated: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
               _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count n: Int) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            var theta = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            if decay != 1 { theta = theta * decay }
            var d = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            if weightDecay != 0 { d = d + weightDecay * theta }
            var first = UnsafeRawPointer(m + i).loadUnaligned(as: V.self)
            var second = UnsafeRawPointer(v + i).loadUnaligned(as: V.self)
            first = first + (1 - b1) * (d - first)
            second = second * b2 + (1 - b2) * d * d
            let denominator = second.squareRoot() / correction2Root + eps
            theta = theta - stepSize * (first / denominator)
            UnsafeMutableRawPointer(updated + i).storeBytes(of: theta, as: V.self)
            UnsafeMutableRawPointer(m + i).storeBytes(of: first, as: V.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: second, as: V.self)
            i += 8
        }
        while i < n {
            var theta = p[i]
            if decay != 1 { theta = theta * decay }
            var d = g[i]
            if weightDecay != 0 { d = d + weightDecay * theta }
            m[i] = m[i] + (1 - b1) * (d - m[i])
            v[i] = v[i] * b2 + (1 - b2) * d * d
            let denominator = v[i].squareRoot() / correction2Root + eps
            updated[i] = theta - stepSize * (m[i] / denominator)
            i += 1
        }
    }
}
