import Foundation
import TestSupport
import Testing
@testable import NN
import Tensors

@Suite("Safetensors reading and writing")
struct SafetensorsTests {
    static let nanWithPayload = Float(bitPattern: 0x7FC0_1234)

    /// Ranks 0 to 4, an empty tensor, odd sizes, special values, and names that need escaping,
    /// deliberately not in sorted order.
    static let sample: [(name: String, tensor: Tensor)] = [
        ("z.last", Tensor(shape: [], scalars: [3.25])),
        ("vector", Tensor([1, -0.0, .infinity, -.infinity, nanWithPayload, .leastNonzeroMagnitude, .greatestFiniteMagnitude])),
        ("a.matrix", Tensor(shape: [3, 5], scalars: (0..<15).map { Float($0) * 0.1 - 0.7 })),
        ("rank3", Tensor(shape: [2, 3, 1], scalars: (0..<6).map { Float($0) / 3 })),
        ("empty", Tensor(shape: [4, 0, 2], scalars: [])),
        ("rank4", Tensor(shape: [1, 3, 1, 3], scalars: (0..<9).map { -Float($0) * 1.5e-3 })),
        ("unicode λ \"quoted\"\n\u{1}", Tensor([42])),
    ]
    static let sampleMetadata = ["task": "seg+depth", "epoch": "3", "note": "quotes \" and \\ and λ"]

    @Test func roundTripIsBitExactAndKeepsNamesOrderAndMetadata() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        try Safetensors.write(Self.sample, metadata: Self.sampleMetadata, to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == Self.sampleMetadata)
        #expect(file.entries.map(\.name) == Self.sample.map(\.name))
        #expect(file.entries.allSatisfy { $0.dtype == .f32 })
        let loaded = try file.tensors()
        #expect(loaded.map(\.name) == Self.sample.map(\.name))
        for ((name, expected), (_, actual)) in zip(Self.sample, loaded) {
            #expect(actual.shape == expected.shape, "\(name)")
            #expect(bits(actual) == bits(expected), "\(name)")
        }
        #expect(bits(try file.tensor("vector"))[4] == 0x7FC0_1234)
        #expect(try file.tensor("rank4").shape == [1, 3, 1, 3])
        #expect(try file.tensor("empty").count == 0)
    }

    @Test func headerIsSortedSpacePaddedAndDataIsEightByteAligned() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        try Safetensors.write(Self.sample, metadata: Self.sampleMetadata, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        #expect(headerLength % 8 == 0)
        #expect(try SafetensorsFile(contentsOf: url).dataStart == 8 + headerLength)
        let header = Array(bytes[8 ..< 8 + headerLength])
        let trimmed = header.reversed().drop { $0 == UInt8(ascii: " ") }.count
        #expect(headerLength - trimmed < 8)
        guard case .object(let members) = try JSONParser.parse(header) else { Issue.record("header is not an object"); return }
        #expect(members.first?.key == "__metadata__")
        let names = members.dropFirst().map(\.key)
        #expect(names == names.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) })
        #expect(names != Self.sample.map(\.name))
        #expect(bytes.count == 8 + headerLength + Self.sample.reduce(0) { $0 + 4 * $1.tensor.count })
    }

    @Test func f16WritingRoundsToNearestEven() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("half.safetensors")
        let input: [Float] = [1.0 / 3, 65504, 65519, 65520, 1e-8, 1e-7, 0.1, -2.5, .infinity, -0.0, 1 + 0x1p-11, 1 + 3 * 0x1p-11]
        try Safetensors.write([("x", Tensor(input)), ("nan", Tensor([.nan]))], dtype: .f16, to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.entries.map(\.dtype) == [.f16, .f16])
        #expect(file.entries[0].byteRange == 0..<(2 * input.count))
        let expected: [Float] = [0.333251953125, 65504, 65504, .infinity, 0, 0x1p-23, 0.0999755859375, -2.5, .infinity, -0.0, 1, 1 + 0x1p-9]
        #expect(bits(try file.tensor("x")) == expected.map(\.bitPattern))
        #expect(try file.tensor("nan").scalar.isNaN)
    }

    @Test func bf16WritingRoundsToNearestEven() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("bf16.safetensors")
        let input: [Float] = [1.0 / 3, 0.1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 3.4e38, -Float(bitPattern: 0x0001_16C2), Float(bitPattern: 0x0001_8001), -0.0, 7]
        try Safetensors.write([("x", Tensor(input)), ("nan", Tensor([.nan]))], dtype: .bf16, to: url)
        let file = try SafetensorsFile(contentsOf: url)
        let expected: [Float] = [0.333984375, 0.10009765625, 1, 1.015625, .infinity, -Float(bitPattern: 0x0001_0000), Float(bitPattern: 0x0002_0000), -0.0, 7]
        #expect(bits(try file.tensor("x")) == expected.map(\.bitPattern))
        #expect(try file.tensor("nan").scalar.isNaN)
    }

    @Test func f64WritingIsExact() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("f64.safetensors")
        try Safetensors.write(Self.sample, dtype: .f64, to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.entries.map(\.byteRange.count) == Self.sample.map { 8 * $0.tensor.count })
        for ((name, expected), (_, actual)) in zip(Self.sample, try file.tensors()) where name != "vector" {
            #expect(bits(actual) == bits(expected), "\(name)")
        }
        let vector = try file.tensor("vector").scalars
        #expect(vector[4].isNaN && vector[5] == .leastNonzeroMagnitude && vector[6] == .greatestFiniteMagnitude)
    }

    @Test func unknownTensorNameListsSomeNames() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        try Safetensors.write(Self.sample, to: url)
        let error = thrownError { _ = try SafetensorsFile(contentsOf: url).tensor("missing") } as? SafetensorsError
        #expect(error == .tensorNotFound(path: url.path, name: "missing", available: ["z.last", "vector", "a.matrix", "rank3", "empty"], total: 7))
        #expect(error?.description.contains("model.safetensors") == true)
        #expect(error?.description.contains("\"a.matrix\"") == true)
    }

    @Test func writerRejectsDuplicateEmptyAndReservedNamesBeforeTouchingTheDisk() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        let one = Tensor([1])
        #expect(throws: SafetensorsError.duplicateTensorName(path: url.path, name: "w")) {
            try Safetensors.write([("w", one), ("b", one), ("w", one)], to: url)
        }
        #expect(throws: SafetensorsError.invalidWriteRequest(path: url.path, reason: "tensor at position 1 has an empty name")) {
            try Safetensors.write([("w", one), ("", one)], to: url)
        }
        #expect(throws: SafetensorsError.self) { try Safetensors.write([("__metadata__", one)], to: url) }
        #expect(try dir.contents().isEmpty)
    }

    @Test func loadReadsASingleFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        try Safetensors.write(Self.sample, metadata: Self.sampleMetadata, to: url)
        let (tensors, metadata) = try Safetensors.load(url)
        #expect(tensors.map(\.name) == Self.sample.map(\.name))
        #expect(tensors.map { bits($0.tensor) } == Self.sample.map { bits($0.tensor) })
        #expect(metadata == Self.sampleMetadata)
    }

    // MARK: Files written by the reference implementation (scripts/make_safetensors_fixtures.py)

    @Test func readsPythonWrittenFile() throws {
        let file = try SafetensorsFile(contentsOf: try fixture("python_written.safetensors"))
        #expect(file.metadata == ["format": "np", "source": "make_safetensors_fixtures.py"])
        #expect(Set(file.entries.map(\.name)) == ["f32_matrix", "f16_specials", "bf16_values", "f64_values", "scalar", "empty"])
        #expect(file.dataStart % 8 == 0)

        let f32 = try file.tensor("f32_matrix")
        #expect(f32.shape == [2, 3])
        #expect(bits(f32) == ([1.5, -2.25, 0, 3.4028235e38, .leastNonzeroMagnitude, -0.0] as [Float]).map(\.bitPattern))

        let f16 = try file.tensor("f16_specials")
        let f16Expected: [Float] = [1, -2, 65504, 0x1p-14, 0x1p-24, 0x1p-15, -0.0, .infinity, -.infinity, .nan, 0.333251953125]
        #expect(f16.shape == [11])
        for (actual, expected) in zip(f16.scalars, f16Expected) {
            #expect(expected.isNaN ? actual.isNaN : actual.bitPattern == expected.bitPattern, "\(actual) vs \(expected)")
        }

        let bf16 = try file.tensor("bf16_values")
        #expect(bf16.shape == [2, 3])
        #expect(bits(bf16) == ([1, -3, 0.333984375, .infinity, 0x1p-133, -0.0] as [Float]).map(\.bitPattern))

        let f64 = try file.tensor("f64_values")
        #expect(bits(f64) == ([0.1, -.infinity, 0, 3.14159265358979, 1, 1 + 0x1p-22] as [Float]).map(\.bitPattern))

        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.tensor("scalar").scalar == 42)
        #expect(try file.tensor("empty").shape == [0, 3])
    }

    @Test func loadsPythonWrittenShardedCheckpoint() throws {
        let (tensors, metadata) = try Safetensors.load(try fixture("sharded.safetensors.index.json"))
        #expect(metadata == ["total_size": "28"])
        #expect(Set(tensors.map(\.name)) == ["layer.0.weight", "layer.0.bias", "layer.1.weight"])
        #expect(tensors.last?.name == "layer.1.weight")
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        #expect(byName["layer.0.weight"] == Tensor([[1, 2], [3, 4]]))
        #expect(byName["layer.0.bias"] == Tensor([0.5, -0.5]))
        #expect(byName["layer.1.weight"] == Tensor([0.25, -8]))
    }

    // MARK: Report (`mtk inspect`)

    @Test func reportListsTensorsTotalsAndMetadata() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("small.safetensors")
        try Safetensors.write([("weight", Tensor.zeros([3, 5])), ("b", Tensor([1, 2, 3]))], metadata: ["task": "depth"], dtype: .bf16, to: url)
        let file = try SafetensorsFile(contentsOf: url)
        let lines = SafetensorsReport.render(file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            url.path,
            "  name    dtype  shape   elements  bytes",
            "  weight  BF16   [3, 5]        15     30",
            "  b       BF16   [3]            3      6",
            "total: 2 tensors, 18 elements, 36 data bytes; header \(file.dataStart - 8) bytes, file \(file.fileSize) bytes",
            "metadata:",
            "  task: depth",
            "",
        ])
    }

    @Test func reportOfAnIndexCoversEveryShard() throws {
        let text = try SafetensorsReport.render(try fixture("sharded.safetensors.index.json"))
        #expect(text.contains("sharded checkpoint, 2 shards"))
        #expect(text.contains("shard sharded-00001-of-00002.safetensors\n"))
        #expect(text.contains("shard sharded-00002-of-00002.safetensors\n  name            dtype  shape  elements  bytes\n  layer.1.weight  F16    [2]           2      4\n"))
        #expect(text.hasSuffix("\ntotal: 3 tensors, 8 elements, 28 data bytes in 2 shards\n"))
    }

    // MARK: Interoperability check driven by scripts/make_safetensors_fixtures.py verify

    /// Must match `EXPORT_VALUES` in the script.
    static let exportValues: [Float] = [0, -0.0, 1, -2.5, 0.1, 65504, 65520, 1e-8, 3.4e38, .infinity, -.infinity, 1.0 / 3, .leastNonzeroMagnitude]

    /// Writes files for the reference implementation to check; runs only when
    /// `SAFETENSORS_EXPORT_DIR` names a directory.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SAFETENSORS_EXPORT_DIR"] != nil))
    func exportForPythonVerification() throws {
        let directory = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["SAFETENSORS_EXPORT_DIR"]))
        let values = Tensor(Self.exportValues)
        try Safetensors.write([
            ("values", values),
            ("matrix", Tensor(shape: [2, 3, 4], scalars: (0..<24).map { Float($0) * 0.5 })),
            ("scalar", Tensor(-7.25)),
            ("empty", Tensor(shape: [3, 0], scalars: [])),
            ("nan", Tensor([.nan, Self.nanWithPayload])),
        ], metadata: ["task": "seg+depth", "epoch": "3"], to: directory.appendingPathComponent("ours_f32.safetensors"))
        for dtype in [SafetensorsDType.f16, .bf16, .f64] {
            try Safetensors.write([("values", values)], dtype: dtype, to: directory.appendingPathComponent("ours_\(dtype.rawValue.lowercased()).safetensors"))
        }
        let weights = (0..<5).map { ("w\($0)", Tensor.full([3, 5], Float($0))) }
        _ = try Safetensors.writeSharded(weights, maxShardBytes: 130, to: directory, baseName: "ours_sharded")
    }
}

@Suite("Safetensors integer dtypes")
struct SafetensorsIntegerTests {
    /// PyTorch writes labels and BatchNorm's num_batches_tracked as integers: they must load.
    @Test func integerDTypesRoundTripAndRead() throws {
        let dir = try TemporaryDirectory()
        let values = Tensor([-3, 0, 1, 127, 1000.4])
        for dtype in [SafetensorsDType.i64, .i32, .i16] {
            let url = dir.url.appendingPathComponent("\(dtype.rawValue).safetensors")
            try Safetensors.write([("x", values)], dtype: dtype, to: url)
            #expect(try SafetensorsFile(contentsOf: url).tensor("x").scalars == [-3, 0, 1, 127, 1000])
        }
        let bytes = dir.url.appendingPathComponent("u8.safetensors")
        try Safetensors.write([("x", Tensor([0, 2.6, 300, -1]))], dtype: .u8, to: bytes)
        #expect(try SafetensorsFile(contentsOf: bytes).tensor("x").scalars == [0, 3, 255, 0])
        let flags = dir.url.appendingPathComponent("bool.safetensors")
        try Safetensors.write([("x", Tensor([0, 2, -1]))], dtype: .bool, to: flags)
        #expect(try SafetensorsFile(contentsOf: flags).tensor("x").scalars == [0, 1, 1])
    }
}
