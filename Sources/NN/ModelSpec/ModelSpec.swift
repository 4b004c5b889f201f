import Foundation
import Tensors

/// A declarative multi-task model: the per-example input shape, a trunk (a list of layers) and
/// named heads (each a list of layers), written in YAML:
///
/// ```yaml
/// name: reference-mlp
/// input: [784]
/// trunk:
///   - linear: {out: 100}
///   - relu
/// heads:
///   class: [{linear: {out: 10}}]
///   parity: [{linear: {out: 2}}]
/// ```
/// `build(seed:)` checks that the shapes chain, infers omitted sizes, and makes a
/// `SharedTrunkNetwork` whose parameter names are exactly PyTorch's for the equivalent model.
public struct ModelSpec: Sendable, Equatable {
    public struct Head: Sendable, Equatable {
        public var task: String
        public var layers: [LayerSpec]
        public init(task: String, layers: [LayerSpec]) { (self.task, self.layers) = (task, layers) }
    }

    public var name: String
    /// Shape of one example, without the batch axis (e.g. [784] or [1, 28, 28]).
    public var input: [Int]
    public var trunk: [LayerSpec]
    public var heads: [Head]

    public init(name: String, input: [Int], trunk: [LayerSpec], heads: [Head]) {
        (self.name, self.input, self.trunk, self.heads) = (name, input, trunk, heads)
    }

    /// Per-example shape of the trunk's output (the shared representation).
    public func featureShape() throws -> [Int] { try chain(trunk, from: try checkedInput(), path: "trunk").shape }

    /// Per-example output shape of each head, in order. Throws when the shapes do not chain or
    /// the model would be too large: over `SpecLimits.parameterBytes` of parameters (16 GiB, or a
    /// quarter of physical memory), or one example's intermediate tensor over the same budget or
    /// `Int32.max` elements. Errors name the field, e.g. `trunk[3].linear.out`, and the memory.
    public func outputShapes() throws -> [(task: String, shape: [Int])] {
        let features = try chain(trunk, from: try checkedInput(), path: "trunk")
        var layers = features.parameters
        let outputs = try heads.map { head in
            let result = try chain(head.layers, from: features.shape, path: "heads.\(head.task)")
            layers += result.parameters
            return (head.task, result.shape)
        }
        let total = layers.reduce(0) { $0 + $1.count }
        if total * 4 > Double(SpecLimits.parameterBytes), let largest = layers.max(by: { $0.count < $1.count }) {
            throw ModelSpecError(source: name, path: largest.path, message: "the model's \(SpecLimits.integerText(total)) parameters would need \(SpecLimits.floatsText(total)) (\(SpecLimits.limitText)); this layer alone holds \(SpecLimits.integerText(largest.count))")
        }
        return outputs
    }

    /// The network with freshly initialised parameters (PyTorch's default scheme, our seeded RNG),
    /// drawn in `state_dict` order. Throws when the shapes do not chain or a head name repeats.
    public func build(seed: UInt64) throws -> SharedTrunkNetwork {
        var seen = Set<String>()
        for head in heads where !seen.insert(head.task).inserted {
            throw ModelSpecError(source: name, path: "heads.\(head.task)", message: "duplicate head name")
        }
        guard !heads.isEmpty else { throw ModelSpecError(source: name, path: "heads", message: "at least one head is required") }
        _ = try outputShapes()
        var rng = RandomGenerator(seed: seed)
        var layerIndex: UInt64 = 0
        func sequential(_ layers: [LayerSpec], from shape: [Int]) -> Sequential {
            var shape = shape
            return Sequential(layers.map { layer in
                defer { shape = try! layer.outputShape(shape).get(); layerIndex += 1 }
                return layer.makeModule(input: shape, rng: &rng, seed: seed &+ 0x9E37_79B9 &* (layerIndex + 1))
            })
        }
        let trunkModule = sequential(trunk, from: input)
        let features = try featureShape()
        return SharedTrunkNetwork(trunk: trunkModule, heads: heads.map { ($0.task, sequential($0.layers, from: features)) })
    }

    /// The input shape, checked like a layer's output: positive extents within `SpecLimits`.
    private func checkedInput() throws -> [Int] {
        if let bad = input.first(where: { $0 < 1 }) {
            throw ModelSpecError(source: name, path: "input", message: "expected extents ≥ 1, found \(bad) in \(input)")
        }
        if let problem = LayerSpec.tensorProblem(input, what: "one example", field: nil) {
            throw ModelSpecError(source: name, path: "input", message: problem.text)
        }
        return input
    }

    /// The shape after `layers` and each parameterised layer's path and parameter count.
    private func chain(_ layers: [LayerSpec], from input: [Int], path: String) throws -> (shape: [Int], parameters: [(path: String, count: Double)]) {
        var shape = input
        var parameters: [(path: String, count: Double)] = []
        for (i, layer) in layers.enumerated() {
            switch layer.outputShape(shape) {
            case .success(let next):
                let count = layer.parameterCount(input: shape)
                if count > 0 { parameters.append(("\(path)[\(i)].\(layer.kindName)", count)) }
                shape = next
            case .failure(let message):
                let at = "\(path)[\(i)]" + (message.field.map { ".\(layer.kindName).\($0)" } ?? "")
                throw ModelSpecError(source: name, path: at, message: message.text)
            }
        }
        return (shape, parameters)
    }
}

/// A problem in a model spec, naming its source (file or spec name) and the field.
public struct ModelSpecError: Error, Equatable, CustomStringConvertible {
    public let source: String
    public let path: String
    public let message: String
    public init(source: String, path: String, message: String) { (self.source, self.path, self.message) = (source, path, message) }
    public var description: String { "\(source): \(path.isEmpty ? "" : path + ": ")\(message)" }
}
