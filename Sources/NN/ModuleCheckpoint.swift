import Foundation
import Tensors

extension Module {
    /// Writes the `state_dict` as safetensors, atomically, in PyTorch's key order and names.
    public func save(to url: URL, metadata: [String: String] = [:], dtype: SafetensorsDType = .f32) throws {
        try Safetensors.write(stateDict().map { ($0.name, $0.tensor) }, metadata: metadata, dtype: dtype, to: url)
    }

    /// Loads a checkpoint: one safetensors file or a sharded index, ours or PyTorch's. With `strict`
    /// the keys must match the model's exactly. Errors name the file and the key.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> [String: String] {
        let (tensors, metadata) = try Safetensors.load(url)
        do {
            try load(stateDict: ParameterSet(tensors.map { ($0.name, $0.tensor) }), strict: strict)
        } catch let error as ModuleError {
            throw CheckpointError(path: url.path, reason: error.description)
        }
        return metadata
    }
}

/// A checkpoint that does not fit the model, naming the file and the mismatch.
public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public var description: String { "\(path): \(reason)" }
}
