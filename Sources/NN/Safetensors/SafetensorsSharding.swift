import Files
import Foundation
import Tensors

extension Safetensors {
    /// Writes `tensors` as numbered shards `<baseName>-00001-of-0000N.safetensors` of at most
    /// `maxShardBytes` tensor bytes each (a larger tensor gets a shard of its own), then
    /// `<baseName>.safetensors.index.json`; returns the index's URL. Each file is written
    /// atomically and the index last, so it never names a shard that was not written.
    public static func writeSharded(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32, maxShardBytes: Int, to directory: URL, baseName: String = "model"
    ) throws -> URL {
        try writeShardedStreaming(tensors.map { ($0.name, $0.tensor.shape, dtype) }, metadata: metadata, maxShardBytes: maxShardBytes,
                                  to: directory, baseName: baseName) { position, emit in
            try tensors[position].tensor.withUnsafeBufferPointer { try emit($0) }
        }
    }

    /// `writeSharded` for tensors produced one at a time, as in `writeStreaming`: `produce` is
    /// called once per position, in order.
    package static func writeShardedStreaming(
        _ layout: [(name: String, shape: [Int], dtype: SafetensorsDType)], metadata: [String: String] = [:],
        maxShardBytes: Int, to directory: URL, baseName: String = "model",
        produce: (_ position: Int, _ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void
    ) throws -> URL {
        let indexURL = directory.appendingPathComponent("\(baseName).safetensors.index.json")
        let path = indexURL.path
        guard maxShardBytes > 0 else { throw SafetensorsError.invalidWriteRequest(path: path, reason: "maxShardBytes must be positive, found \(maxShardBytes)") }
        guard !baseName.isEmpty, !baseName.contains("/") else {
            throw SafetensorsError.invalidWriteRequest(path: path, reason: "baseName must be a non-empty file name, found \(JSONValue.quoted(baseName))")
        }
        guard metadata[totalSizeKey] == nil else {
            throw SafetensorsError.invalidWriteRequest(path: path, reason: "metadata key \"\(totalSizeKey)\" is reserved for the index")
        }
        try checkNames(layout.map(\.name), path: path)

        let sizes = layout.map { $0.shape.reduce(1, *) * $0.dtype.byteSize }
        let groups = shardGroups(sizes, maxShardBytes: maxShardBytes)
        let shardNames = groups.indices.map { shardFileName(baseName, $0 + 1, of: groups.count) }
        var weightMap: [JSONMember] = []
        try withoutActuallyEscaping(produce) { produce in
            for (group, shardName) in zip(groups, shardNames) {
                try writeStreaming(group.map { layout[$0] }, metadata: metadata, to: directory.appendingPathComponent(shardName)) { local, emit in
                    try produce(group[local], emit)
                }
                weightMap += group.map { JSONMember(key: layout[$0].name, value: .string(shardName)) }
            }
        }
        var indexMetadata = metadata.map { JSONMember(key: $0.key, value: .string($0.value)) }
        indexMetadata.append(JSONMember(key: totalSizeKey, value: .integer(sizes.reduce(0, +))))
        indexMetadata.sort { codePointOrder($0.key, $1.key) }
        weightMap.sort { codePointOrder($0.key, $1.key) }
        let index = JSONValue.object([
            JSONMember(key: "metadata", value: .object(indexMetadata)),
            JSONMember(key: "weight_map", value: .object(weightMap)),
        ])
        try AtomicWrite.write(Data((index.rendered(indent: 2) + "\n").utf8), to: indexURL)
        return indexURL
    }

    /// The index metadata key that holds the sum of all tensors' data bytes.
    static let totalSizeKey = "total_size"

    /// Consecutive runs of tensor positions whose byte sizes sum to at most `maxShardBytes`
    /// (a single larger tensor forms its own run); always at least one run.
    static func shardGroups(_ byteSizes: [Int], maxShardBytes: Int) -> [[Int]] {
        var groups: [[Int]] = [[]]
        var size = 0
        for (position, bytes) in byteSizes.enumerated() {
            if !groups[groups.count - 1].isEmpty && size + bytes > maxShardBytes {
                groups.append([])
                size = 0
            }
            groups[groups.count - 1].append(position)
            size += bytes
        }
        return groups
    }

    /// `model-00002-of-00005.safetensors`.
    static func shardFileName(_ baseName: String, _ number: Int, of count: Int) -> String {
        func padded(_ n: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, 5 - s.count)) + s }
        return "\(baseName)-\(padded(number))-of-\(padded(count)).safetensors"
    }
}
