import Foundation
import NN
import Tensors

extension OptimizerState {
    /// Saves the state as safetensors: the state tensors, with the kind and each hyperparameter
    /// (`hyperparameter.lr`: shortest round-trip decimal) in the metadata. The write is atomic.
    /// `metadata` adds entries of the caller's (a run's step, say) beside them.
    public func write(to url: URL, metadata extra: [String: String] = [:]) throws {
        var metadata = extra.merging(["format": "mtk-optimizer", "kind": kind]) { _, own in own }
        for (key, value) in hyperparameters { metadata["hyperparameter.\(key)"] = "\(value)" }
        try Safetensors.write(tensors.map { ($0.name, $0.tensor) }, metadata: metadata, to: url)
    }

    /// Reads a state written by `write(to:)`; errors name the file.
    public static func read(from url: URL) throws -> OptimizerState {
        try readWithMetadata(from: url).state
    }

    /// Reads a state and the file's whole metadata (the entries a caller added when writing).
    public static func readWithMetadata(from url: URL) throws -> (state: OptimizerState, metadata: [String: String]) {
        let (tensors, metadata) = try Safetensors.load(url)
        guard metadata["format"] == "mtk-optimizer", let kind = metadata["kind"] else {
            throw OptimizerError.malformed("\(url.path) is not an optimizer state (metadata format must be 'mtk-optimizer' with a 'kind')")
        }
        var hyperparameters: [String: Double] = [:]
        for (key, text) in metadata where key.hasPrefix("hyperparameter.") {
            guard let value = Double(text) else { throw OptimizerError.malformed("\(url.path): metadata '\(key)' is not a number: '\(text)'") }
            hyperparameters[String(key.dropFirst("hyperparameter.".count))] = value
        }
        return (OptimizerState(kind: kind, hyperparameters: hyperparameters, tensors: ParameterSet(tensors.map { ($0.name, $0.tensor) })), metadata)
    }
}
