import NN
import Tensors

/// Stochastic gradient descent with PyTorch's semantics:
/// g ← ∇ + λ·θ; b ← g on the first step, else μ·b + (1−τ)·g; g ← g + μ·b (Nesterov) or b;
/// θ ← θ − η·g. (λ weight decay, μ momentum, τ dampening, η learning rate.)
public struct SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var buffers: [String: [[Float]]] = [:]
    private var order: [String] = []
    private var shapes: [String: [Int]] = [:]

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        (self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) = (learningRate, momentum, dampening, weightDecay, nesterov)
    }

    public mutating func step(_ parameters: ParameterSet, gradients: ParameterSet) -> ParameterSet {
        let (lr, mu, tau, wd, nesterov) = (learningRate, momentum, dampening, weightDecay, self.nesterov)
        let useMomentum = mu != 0
        for (name, g) in gradients where buffers[name] == nil && useMomentum { order.append(name); shapes[name] = g.shape }
        var slots = buffers
        buffers = [:]
        let rule = SGDRule(lr: lr, mu: mu, tau: tau, wd: wd, nesterov: nesterov)
        let out = forEachParameter(parameters, gradients, slots: &slots, slotCount: useMomentum ? 1 : 0) { _, p, updated, g, n, state, fresh in
            guard useMomentum else {
                parallelChunks(n, costPerItem: 4) { r in rule.apply(p + r.lowerBound, updated + r.lowerBound, g + r.lowerBound, nil, fresh: false, count: r.count) }
                return
            }
            state[0].withUnsafeMutableBufferPointer { b in
                let b = b.baseAddress!
                parallelChunks(n, costPerItem: 4) { r in
                    rule.apply(p + r.lowerBound, updated + r.lowerBound, g + r.lowerBound, b + r.lowerBound, fresh: fresh, count: r.count)
                }
            }
        }
        buffers = slots
        return out
    }

    public func state() -> OptimizerState {
        OptimizerState(kind: "sgd", hyperparameters: ["lr": Double(learningRate), "momentum": Double(momentum), "dampening": Double(dampening),
                                                     "weight_decay": Double(weightDecay), "nesterov": nesterov ? 1 : 0],
                       tensors: SlotCoding.encode(buffers, names: ["momentum_buffer"], order: order, shapes: shapes))
    }

    public mutating func load(_ state: OptimizerState) throws {
        guard state.kind == "sgd" else { throw OptimizerError.wrongKind(expected: "sgd", found: state.kind) }
        (buffers, shapes, order) = try SlotCoding.decode(state.tensors, names: ["momentum_buffer"])
        if let lr = state.hyperparameters["lr"] { learningRate = Float(lr) }
    }
}

/// One SGD step over a run of entries, eight at a time with a scalar tail (the same IEEE
/// operations per entry either way): d = g + λθ; b = d on the first step, else μb + (1−τ)d;
/// θ' = θ − η(d + μb) with Nesterov, θ − ηb with momentum, θ − ηd without.
private struct SGDRule {
    let lr: Float, mu: Float, tau: Float, wd: Float, nesterov: Bool

    func apply(_ p: UnsafePointer<Float>, _ updated: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
               _ b: UnsafeMutablePointer<Float>?, fresh: Bool, count n: Int) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            let theta = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            var d = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            if wd != 0 { d = d + wd * theta }
            var step = d
            if let b {
                var buffer = d
                if !fresh { buffer = UnsafeRawPointer(b + i).loadUnaligned(as: V.self) * mu + (1 - tau) * d }
                UnsafeMutableRawPointer(b + i).storeBytes(of: buffer, as: V.self)
                step = nesterov ? d + mu * buffer : buffer
            }
            UnsafeMutableRawPointer(updated + i).storeBytes(of: theta - lr * step, as: V.self)
            i += 8
        }
        while i < n {
            var d = g[i]
            if wd != 0 { d = d + wd * p[i] }
            var step = d
            if let b {
                if !fresh { b[i] = b[i] * mu + (1 - tau) * d } else { b[i] = d }
                step = nesterov ? d + mu * b[i] : b[i]
            }
            updated[i] = p[i] - lr * step
            i += 1
        }
    }
}
