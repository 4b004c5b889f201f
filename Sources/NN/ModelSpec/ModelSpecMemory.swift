import Foundation

extension ModelSpec {
    /// Floats of one example's activations: the input and every layer's output, trunk and heads,
    /// all of which a training step keeps for the backward pass.
    public func activationCount() throws -> Double {
        var shape = input, total = SpecLimits.count(input)
        func walk(_ layers: [LayerSpec], from start: [Int]) throws -> [Int] {
            var current = start
            for layer in layers {
                current = try layer.outputShape(current).get()
                total += SpecLimits.count(current)
            }
            return current
        }
        shape = try walk(trunk, from: shape)
        for head in heads { _ = try walk(head.layers, from: shape) }
        return total
    }

    /// Why a training batch of `batch` examples would not fit (its activations and their
    /// gradients over the same budget as the parameters, see `outputShapes`), or nil.
    public func batchMemoryProblem(batch: Int) throws -> String? {
        let floats = try activationCount() * 2 * Double(batch)
        guard floats * 4 > Double(SpecLimits.parameterBytes) else { return nil }
        return "a batch of \(batch) would need \(SpecLimits.floatsText(floats)) for the activations of '\(name)' and their gradients (\(SpecLimits.limitText)): lower the batch size"
    }
}
