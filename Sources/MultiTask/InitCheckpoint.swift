import Foundation
import NN

/// Starting a model from a checkpoint (ours or PyTorch's), saying how much of it matched:
/// tensors are loaded by name, and a checkpoint that matches no parameter is an error, never a
/// silent fresh start.
public struct InitCheckpoint: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// Model tensors loaded from the checkpoint.
    public var matched: [String]
    /// Model tensors the checkpoint lacks (they keep their initialisation).
    public var missing: [String]
    /// Checkpoint tensors the model has no place for (ignored).
    public var unexpected: [String]

    /// Loads the tensors of `url` whose names the model has (all of them when `strict`, which
    /// also forbids extra ones). Shapes must match. Errors name the file.
    @discardableResult
    public static func load(_ url: URL, into model: MultiTaskModel, strict: Bool) throws -> InitCheckpoint {
        let tensors = Array(try weights(url))
        let own = model.network.stateDict().names, given = tensors.map(\.name)
        let ownSet = Set(own), givenSet = Set(given)
        let report = InitCheckpoint(path: url.path, matched: own.filter(givenSet.contains), missing: own.filter { !givenSet.contains($0) },
                                    unexpected: given.filter { !ownSet.contains($0) })
        guard !report.matched.isEmpty else {
            throw CheckpointError(path: url.path, reason: "matches none of the model's \(own.count) tensors (it has \(given.prefix(4).joined(separator: ", "))\(given.count > 4 ? ", ..." : "")): is it a checkpoint of this model?")
        }
        if strict && (!report.missing.isEmpty || !report.unexpected.isEmpty) {
            throw CheckpointError(path: url.path, reason: "--strict: \(report.description)")
        }
        let loaded = ParameterSet(tensors.filter { ownSet.contains($0.name) }.map { ($0.name, $0.tensor) })
        if let name = FiniteCheck.firstNonFinite(loaded) {
            throw CheckpointError(path: url.path, reason: "'\(name)' holds NaN or infinite values: a model started from it could not train")
        }
        try model.network.load(from: url, strict: false)
        return report
    }

    /// Every tensor of the checkpoint at `url` (a file or a sharded index), refusing a file that
    /// holds a Fisher diagonal rather than weights.
    public static func weights(_ url: URL) throws -> ParameterSet {
        if RunDirectory.isDirectory(url) {
            throw CheckpointError(path: url.path, reason: "is a run directory; name its best.safetensors or last.safetensors")
        }
        let (tensors, metadata) = try Safetensors.load(url)
        if FisherInformation.marks(metadata) {
            throw CheckpointError(path: url.path, reason: "is a Fisher diagonal (written by mtk fisher), not a model's weights")
        }
        // Weights to start from or take differences of must be numbers, found now rather than
        // as a NaN loss or merge many steps later.
        for (name, tensor) in tensors where tensor.scalars.contains(where: { !$0.isFinite }) {
            throw CheckpointError(path: url.path, reason: "tensor '\(name)' holds NaN or infinite values")
        }
        return ParameterSet(tensors.map { ($0.name, $0.tensor) })
    }

    /// The fingerprint of the weights at `url`, recorded by studies that start from them.
    public static func fingerprint(_ url: URL) throws -> String { DataFingerprint.of(try weights(url)) }

    public var description: String {
        var text = "init from \(path): \(matched.count) of \(matched.count + missing.count) model tensors loaded"
        if !missing.isEmpty { text += "; not in the checkpoint (kept as initialised): \(InitCheckpoint.list(missing))" }
        if !unexpected.isEmpty { text += "; in the checkpoint but not in the model (ignored): \(InitCheckpoint.list(unexpected))" }
        return text
    }

    private static func list(_ names: [String]) -> String {
        names.prefix(6).joined(separator: ", ") + (names.count > 6 ? " and \(names.count - 6) more" : "")
    }
}
