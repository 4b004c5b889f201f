import Foundation
import Tensors

extension Safetensors {
    /// Every tensor of a checkpoint, converted to Float32, with its metadata. `url` is a single
    /// `.safetensors` file, or a `.json` index of a sharded checkpoint (tensors in shard order, then
    /// file order; metadata from the index, see `SafetensorsIndex.metadata`).
    public static func load(_ url: URL) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        if url.pathExtension == "json" {
            let index = try SafetensorsIndex(contentsOf: url)
            let tensors = try index.openShards().flatMap { try $0.tensors() }
            return (tensors, index.metadata)
        }
        let file = try SafetensorsFile(contentsOf: url)
        return (try file.tensors(), file.metadata)
    }
}
