import Foundation
import TestSupport
import Testing
@testable import NN
import Tensors

@Suite("Sharded safetensors checkpoints")
struct SafetensorsShardingTests {
    /// Five 3×5 F32 tensors of 60 bytes each, distinct values.
    static let weights: [(name: String, tensor: Tensor)] = (0..<5).map { i in
        ("layer\(i).weight", Tensor(shape: [3, 5], scalars: (0..<15).map { Float(i * 100 + $0) + 0.25 }))
    }

    @Test func writesShardsAndAnIndexThatLoadsBack() throws {
        let dir = try TemporaryDirectory()
        let index = try Safetensors.writeSharded(Self.weights, metadata: ["task": "seg"], maxShardBytes: 130, to: dir.url)
        #expect(index == dir.file("model.safetensors.index.json"))
        #expect(try dir.contents() == [
            "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
            "model.safetensors.index.json",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? [String: Any])
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect(metadata["total_size"] as? Int == 300 && metadata["task"] as? String == "seg")
        #expect(json["weight_map"] as? [String: String] == [
            "layer0.weight": "model-00001-of-00003.safetensors", "layer1.weight": "model-00001-of-00003.safetensors",
            "layer2.weight": "model-00002-of-00003.safetensors", "layer3.weight": "model-00002-of-00003.safetensors",
            "layer4.weight": "model-00003-of-00003.safetensors",
        ])

        let (tensors, loadedMetadata) = try Safetensors.load(index)
        #expect(tensors.map(\.name) == Self.weights.map(\.name))
        #expect(tensors.map { bits($0.tensor) } == Self.weights.map { bits($0.tensor) })
        #expect(loadedMetadata == ["task": "seg", "total_size": "300"])
        #expect(try SafetensorsFile(contentsOf: dir.file("model-00002-of-00003.safetensors")).metadata == ["task": "seg"])
    }

    @Test func aTensorLargerThanTheLimitGetsItsOwnShard() {
        #expect(Safetensors.shardGroups([10, 500, 10, 10, 10], maxShardBytes: 25) == [[0], [1], [2, 3], [4]])
        #expect(Safetensors.shardGroups([], maxShardBytes: 25) == [[]])
        #expect(Safetensors.shardFileName("ckpt", 7, of: 12) == "ckpt-00007-of-00012.safetensors")
    }

    @Test func missingShardNamesTheIndexAndTheShard() throws {
        let dir = try TemporaryDirectory()
        let index = try Safetensors.writeSharded(Self.weights, maxShardBytes: 130, to: dir.url, baseName: "net")
        try FileManager.default.removeItem(at: dir.file("net-00002-of-00003.safetensors"))
        let error = thrownError { _ = try Safetensors.load(index) } as? SafetensorsError
        #expect(error == .shardMissing(index: index.path, shard: "net-00002-of-00003.safetensors"))
        #expect(error?.description.contains("net.safetensors.index.json") == true)
        #expect(error?.description.contains("net-00002-of-00003.safetensors") == true)
    }

    @Test func indexAndShardsMustAgree() throws {
        let dir = try TemporaryDirectory()
        let index = try Safetensors.writeSharded(Self.weights, maxShardBytes: 130, to: dir.url)
        let original = try String(contentsOf: index, encoding: .utf8)

        try original.replacingOccurrences(of: "\"layer4.weight\"", with: "\"layer9.weight\"").write(to: index, atomically: false, encoding: .utf8)
        #expect(thrownError { _ = try Safetensors.load(index) } as? SafetensorsError
            == .tensorNotInIndex(index: index.path, tensor: "layer4.weight", shard: "model-00003-of-00003.safetensors"))

        let extra = original.replacingOccurrences(of: "\"weight_map\": {", with: "\"weight_map\": {\n    \"ghost\": \"model-00001-of-00003.safetensors\",")
        try extra.write(to: index, atomically: false, encoding: .utf8)
        #expect(thrownError { _ = try Safetensors.load(index) } as? SafetensorsError
            == .tensorMissingFromShard(index: index.path, tensor: "ghost", shard: "model-00001-of-00003.safetensors"))

        try original.replacingOccurrences(of: "model-00003-of-00003", with: "../elsewhere").write(to: index, atomically: false, encoding: .utf8)
        guard case .invalidIndex(let path, let reason) = thrownError({ _ = try Safetensors.load(index) }) as? SafetensorsError else {
            Issue.record("expected invalidIndex"); return
        }
        #expect(path == index.path && reason.contains("file name"))

        try "{\"metadata\": {}}".write(to: index, atomically: false, encoding: .utf8)
        #expect(thrownError { _ = try Safetensors.load(index) } as? SafetensorsError == .invalidIndex(path: index.path, reason: "missing \"weight_map\""))
        try "{\"metadata\": {}, \"weight_map\": {}}".write(to: index, atomically: false, encoding: .utf8)
        #expect(thrownError { _ = try Safetensors.load(index) } as? SafetensorsError == .invalidIndex(path: index.path, reason: "\"weight_map\" lists no tensor"))
    }

    @Test func rejectsBadRequestsBeforeWriting() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: SafetensorsError.self) { _ = try Safetensors.writeSharded(Self.weights, maxShardBytes: 0, to: dir.url) }
        #expect(throws: SafetensorsError.self) { _ = try Safetensors.writeSharded(Self.weights, metadata: ["total_size": "1"], maxShardBytes: 100, to: dir.url) }
        #expect(throws: SafetensorsError.self) { _ = try Safetensors.writeSharded(Self.weights + Self.weights.prefix(1), maxShardBytes: 100, to: dir.url) }
        #expect(try dir.contents().isEmpty)
    }
}
