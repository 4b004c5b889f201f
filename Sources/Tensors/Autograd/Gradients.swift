/// Reverse-mode differentiation over the recorded graph.
extension Tensor {
    /// The gradients of this value with respect to `inputs`: the vector–Jacobian product with
    /// `seed` (ones by default, so a scalar loss gives ∂loss/∂input).
    ///
    /// Only the part of the graph between `inputs` and this value is visited, and rules skip the
    /// gradients nobody needs, so asking for the trunk's parameters alone costs less than asking for
    /// all. The graph is left intact: call this once per loss after a single forward pass.
    /// Inputs that this value does not depend on get zeros. Cost: one visit per recorded op.
    public func gradients(wrt inputs: [Tensor], seed: Tensor? = nil) -> [Tensor] {
        for (i, input) in inputs.enumerated() where input.node == nil {
            fatalError("gradients(wrt:): input \(i) (shape \(input.shape)) does not require a gradient; create it with .requiringGradient()")
        }
        if let seed, seed.shape != shape {
            shapeError("gradients(wrt:seed:)", shape, seed.shape, "the seed must have the value's shape")
        }
        guard let root = node else { return inputs.map { Tensor.zeros($0.shape) } }

        // Topological order (inputs before users), iteratively to survive deep graphs.
        var order: [GradNode] = []
        var index: [ObjectIdentifier: Int] = [:]
        var stack: [(GradNode, Int)] = [(root, 0)]
        var visiting: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let (current, next) = stack.popLast() {
            if next < current.inputs.count {
                stack.append((current, next + 1))
                if let child = current.inputs[next], !visiting.contains(ObjectIdentifier(child)) {
                    visiting.insert(ObjectIdentifier(child))
                    stack.append((child, 0))
                }
            } else {
                index[ObjectIdentifier(current)] = order.count
                order.append(current)
            }
        }

        // A node is needed when it is a target or some input of it is needed.
        let targets = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
        var needed = [Bool](repeating: false, count: order.count)
        for (i, n) in order.enumerated() {
            needed[i] = targets.contains(ObjectIdentifier(n))
                || n.inputs.contains { $0.flatMap { index[ObjectIdentifier($0)] }.map { needed[$0] } ?? false }
        }

        var grads = [Tensor?](repeating: nil, count: order.count)
        grads[order.count - 1] = seed?.detached() ?? Tensor.ones(shape)
        withoutGradients {
            for i in stride(from: order.count - 1, through: 0, by: -1) where needed[i] {
                let n = order[i]
                guard let rule = n.rule, let g = grads[i] else { continue }
                let inputIndex = n.inputs.map { $0.flatMap { index[ObjectIdentifier($0)] } }
                let needs = inputIndex.map { $0.map { needed[$0] } ?? false }
                guard needs.contains(true) else { continue }
                let results = rule(g, needs)
                for (slot, j) in inputIndex.enumerated() {
                    guard let j, needs[slot], let r = results[slot] else { continue }
                    if grads[j] == nil { grads[j] = r } else { grads[j]! += r }
                }
                if !targets.contains(ObjectIdentifier(n)) { grads[i] = nil }  // free memory early
            }
        }
        return inputs.map { input in
            index[ObjectIdentifier(input.node!)].flatMap { grads[$0] } ?? Tensor.zeros(input.shape)
        }
    }
}

/// The value of `f` at `parameters` and its gradient with respect to each parameter
/// (mlx's `valueAndGrad`). The parameters are made leaves of a fresh graph.
public func valueAndGradient(
    at parameters: [Tensor], of f: ([Tensor]) throws -> Tensor
) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let leaves = parameters.map { $0.requiringGradient() }
    let value = try f(leaves)
    return (value.detached(), value.gradients(wrt: leaves))
}

/// Named form of `valueAndGradient(at:of:)`: gradients come back under the parameters' names.
public func valueAndGradient<Key: Hashable>(
    at parameters: [Key: Tensor], of f: ([Key: Tensor]) throws -> Tensor
) rethrows -> (value: Tensor, gradients: [Key: Tensor]) {
    let keys = Array(parameters.keys)
    let (value, grads) = try valueAndGradient(at: keys.map { parameters[$0]! }) { leaves in
        try f(Dictionary(uniqueKeysWithValues: zip(keys, leaves)))
    }
    return (value, Dictionary(uniqueKeysWithValues: zip(keys, grads)))
}

/// The values of several losses computed in one forward pass and the gradient of each with respect
/// to the parameters: the per-task gradients that PCGrad, MGDA, TAG and gradient cosine need.
public func valuesAndGradients(
    at parameters: [Tensor], of f: ([Tensor]) throws -> [Tensor]
) rethrows -> (values: [Tensor], gradients: [[Tensor]]) {
    let leaves = parameters.map { $0.requiringGradient() }
    let values = try f(leaves)
    return (values.map { $0.detached() }, values.map { $0.gradients(wrt: leaves) })
}
