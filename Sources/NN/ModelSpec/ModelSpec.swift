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
    public func featureShape() throws -> [Int] { try chain(trunk, from: input, path: "trunk") }

    /// Per-example output shape of each head, in order.
    public func outputShapes() throws -> [(task: String, shape: [Int])] {
        let features = try featureShape()
        return try heads.map { ($0.task, try chain($0.layers, from: features, path: "heads.\($0.task)")) }
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

    private func chain(_ layers: [LayerSpec], from input: [Int], path: String) throws -> [Int] {
        var shape = input
        for (i, layer) in layers.enumerated() {
            switch layer.outputShape(shape) {
            case .success(let next): shape = next
            case .failure(let message): throw ModelSpecError(source: name, path: "\(path)[\(i)]", message: message.text)
            }
        }
        return shape
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
