import Files
import Foundation

/// The index of a sharded checkpoint (`<base>.safetensors.index.json`, the Hugging Face layout):
/// `{"metadata": {"total_size": N, ...}, "weight_map": {tensor name: shard file name}}`.
public struct SafetensorsIndex: Sendable {
    /// The index file.
    public let url: URL
    /// The index's `metadata`; values that are not strings (such as `total_size`) as compact JSON text.
    public let metadata: [String: String]
    /// Each tensor and the shard file (in the index's directory) that holds it, in index order.
    public let weightMap: [(tensor: String, shard: String)]

    /// The distinct shard file names, sorted (so numbered shards come in order).
    public var shards: [String] { Set(weightMap.map(\.shard)).sorted() }

    /// Reads and checks the index at `url`; throws `SafetensorsError` naming it when it is malformed.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let utf8: [UInt8]
        do {
            utf8 = try FileContents.bytes(path, atMost: Safetensors.maximumHeaderBytes)
        } catch {
            if let size = error.tooLarge {
                throw SafetensorsError.invalidIndex(path: path, reason: "expected at most \(Safetensors.maximumHeaderBytes) bytes, found \(size)")
            }
            throw error.missing ? SafetensorsError.fileNotFound(path: path) : SafetensorsError.unreadableFile(path: path, reason: error.reason)
        }
        guard String(validating: utf8, as: UTF8.self) != nil else { throw SafetensorsError.invalidIndex(path: path, reason: "not valid UTF-8") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(utf8)
        } catch {
            throw SafetensorsError.invalidIndex(path: path, reason: "not valid JSON: \(error.description)")
        }
        self.url = url
        (metadata, weightMap) = try SafetensorsIndex.contents(json, path: path)
    }

    private static func contents(_ json: JSONValue, path: String) throws(SafetensorsError) -> ([String: String], [(tensor: String, shard: String)]) {
        guard case .object(let top) = json else { throw .invalidIndex(path: path, reason: "expected a JSON object, found \(json.kind)") }
        var seen = Set<String>()
        for pair in top where !seen.insert(pair.key).inserted {
            throw .invalidIndex(path: path, reason: "key \(JSONValue.quoted(pair.key)) appears more than once")
        }
        func member(_ key: String) -> JSONValue? { top.first { $0.key == key }?.value }
        var metadata: [String: String] = [:]
        if let value = member("metadata") {
            guard case .object(let pairs) = value else {
                throw .invalidIndex(path: path, reason: "\"metadata\" must be an object, found \(value.kind)")
            }
            for pair in pairs {
                let text = if case .string(let s) = pair.value { s } else { pair.value.rendered() }
                guard metadata.updateValue(text, forKey: pair.key) == nil else {
                    throw .invalidIndex(path: path, reason: "\"metadata\" key \(JSONValue.quoted(pair.key)) appears more than once")
                }
            }
        }
        guard let mapValue = member("weight_map") else { throw .invalidIndex(path: path, reason: "missing \"weight_map\"") }
        guard case .object(let pairs) = mapValue else {
            throw .invalidIndex(path: path, reason: "\"weight_map\" must be an object, found \(mapValue.kind)")
        }
        var mapped = Set<String>()
        var weightMap: [(tensor: String, shard: String)] = []
        for pair in pairs {
            guard mapped.insert(pair.key).inserted else {
                throw .invalidIndex(path: path, reason: "tensor \(JSONValue.quoted(pair.key)) appears more than once in \"weight_map\"")
            }
            guard case .string(let shard) = pair.value else {
                throw .invalidIndex(path: path, reason: "\"weight_map\" value for \(JSONValue.quoted(pair.key)) must be a shard file name, found \(pair.value.summary())")
            }
            guard isPlainFileName(shard) else {
                throw .invalidIndex(path: path, reason: "shard \(JSONValue.quoted(shard)) must be a file name in the index's directory")
            }
            weightMap.append((pair.key, shard))
        }
        guard !weightMap.isEmpty else { throw .invalidIndex(path: path, reason: "\"weight_map\" lists no tensor") }
        return (metadata, weightMap)
    }

    private static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// Opens and validates every shard, in `shards` order, and checks that the shards hold
    /// exactly the tensors `weightMap` assigns to them.
    public func openShards() throws -> [SafetensorsFile] {
        let directory = url.deletingLastPathComponent()
        let shardOf = Dictionary(uniqueKeysWithValues: weightMap.map { ($0.tensor, $0.shard) })
        let shardNames = shards
        var files: [SafetensorsFile] = []
        for shard in shardNames {
            let shardURL = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw SafetensorsError.shardMissing(index: url.path, shard: shard)
            }
            let file = try SafetensorsFile(contentsOf: shardURL)
            for entry in file.entries where shardOf[entry.name] != shard {
                throw SafetensorsError.tensorNotInIndex(index: url.path, tensor: entry.name, shard: shard)
            }
            files.append(file)
        }
        let names = Dictionary(uniqueKeysWithValues: zip(shardNames, files.map { Set($0.entries.map(\.name)) }))
        for (tensor, shard) in weightMap where names[shard]?.contains(tensor) != true {
            throw SafetensorsError.tensorMissingFromShard(index: url.path, tensor: tensor, shard: shard)
        }
        return files
    }
}
