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
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, parameters.map(\.tensor.count).max() ?? 1))
        defer { scratch.deallocate() }
        let out = forEachParameter(parameters, gradients, slots: &slots, slotCount: useMomentum ? 1 : 0) { _, p, g, n, state, fresh in
            // Branches hoisted out of the loops so each loop vectorises; the arithmetic is unchanged.
            if wd != 0 { for i in 0..<n { scratch[i] = g[i] + wd * p[i] } } else { scratch.update(from: g, count: n) }
            let d = UnsafePointer(scratch)
            if useMomentum {
                var buffer: [Float] = []
                swap(&buffer, &state[0])
                defer { state[0] = buffer }
                buffer.withUnsafeMutableBufferPointer { b in
                    let b = b.baseAddress!
                    if fresh { b.update(from: d, count: n) } else { for i in 0..<n { b[i] = b[i] * mu + (1 - tau) * d[i] } }
                    if nesterov { for i in 0..<n { p[i] = p[i] - lr * (d[i] + mu * b[i]) } } else { for i in 0..<n { p[i] = p[i] - lr * b[i] } }
                }
            } else {
                for i in 0..<n { p[i] = p[i] - lr * d[i] }
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
