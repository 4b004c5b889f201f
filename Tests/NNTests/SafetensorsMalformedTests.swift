import Foundation
import TestSupport
import Testing
@testable import NN
import Tensors

/// Each broken rule of the format yields its own error, naming the file; nothing crashes.
@Suite("Safetensors malformed files")
struct SafetensorsMalformedTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    /// Writes `bytes` to a file named for the case, opens it, and checks the exact error, that its
    /// message names the file, and that it states `rule`.
    private func expectFailure(
        _ bytes: [UInt8], _ name: String, rule: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ expected: (String) -> SafetensorsError
    ) throws {
        let url = try dir.write(bytes, to: "\(name).safetensors")
        let error = openingError(url)
        #expect(error == expected(url.path), sourceLocation: sourceLocation)
        #expect(error?.description.contains("\(name).safetensors") == true, sourceLocation: sourceLocation)
        #expect(error?.description.contains(rule) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    /// One valid 2-element F32 entry with the given offsets.
    private static func entry(_ name: String, _ begin: Int, _ end: Int, shape: String = "[2]", dtype: String = "F32") -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    @Test func missingFile() {
        let url = dir.file("absent.safetensors")
        #expect(openingError(url) == .fileNotFound(path: url.path))
        #expect(openingError(url)?.description.contains("absent.safetensors: no such file") == true)
    }

    @Test func fileShorterThanEightBytes() throws {
        try expectFailure([1, 0, 0, 0, 0], "truncated", rule: "file too short") { .fileTooShort(path: $0, size: 5) }
        try expectFailure([], "zero", rule: "found 0 bytes") { .fileTooShort(path: $0, size: 0) }
    }

    @Test func headerLengthPastEndOfFile() throws {
        var bytes = safetensorsBytes(header: "{}", data: Array(repeating: 0, count: 18))
        bytes[0] = 100
        try expectFailure(bytes, "past-eof", rule: "header length past end of file") {
            .headerPastEndOfFile(path: $0, claimed: 100, available: 20)
        }
    }

    @Test func headerLengthOverTheLimit() throws {
        let claim = withUnsafeBytes(of: UInt64(100_000_001).littleEndian, Array.init)
        try expectFailure(claim + Array("{}".utf8), "huge-header", rule: "header too large") {
            .headerTooLarge(path: $0, claimed: 100_000_001)
        }
        try expectFailure(Array(repeating: 0xFF, count: 16), "max-header", rule: "header too large") {
            .headerTooLarge(path: $0, claimed: .max)
        }
    }

    @Test func headerNotJSON() throws {
        let url = try dir.write(safetensorsBytes(header: "{\"a\": "), to: "bad-json.safetensors")
        let error = openingError(url)
        guard case .invalidHeaderJSON(let path, let reason) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == url.path && reason.contains("at byte 6"))
        #expect(error?.description.contains("bad-json.safetensors: header is not valid JSON") == true)

        try expectFailure(safetensorsBytes(header: "{\"a\u{FF}\"}").map { $0 == 0xC3 ? 0xFF : $0 }, "not-utf8", rule: "UTF-8") {
            .headerNotUTF8(path: $0)
        }
        try expectFailure(safetensorsBytes(header: "[1, 2]"), "array-header", rule: "must be a JSON object") {
            .headerNotObject(path: $0, found: "array")
        }
        let deep = String(repeating: "[", count: 100_000)
        #expect(openingError(try dir.write(safetensorsBytes(header: deep), to: "deep.safetensors")).map {
            if case .invalidHeaderJSON = $0 { true } else { false }
        } == true)
    }

    @Test func unknownDType() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("w", 0, 8, dtype: "F17"))}", data: Array(repeating: 0, count: 8)),
                          "unknown-dtype", rule: "unknown dtype \"F17\"") { .unknownDType(path: $0, tensor: "w", dtype: "F17") }
    }

    @Test func unsupportedDType() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("q", 0, 2, dtype: "F8_E4M3"))}", data: [1, 0]),
                          "fp8", rule: "unsupported dtype F8_E4M3") { .unsupportedDType(path: $0, tensor: "q", dtype: "F8_E4M3") }
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("ids", 0, 16, dtype: "U64"))}", data: Array(repeating: 0, count: 16)),
                          "uint64", rule: "unsupported dtype U64") { .unsupportedDType(path: $0, tensor: "ids", dtype: "U64") }
    }

    @Test func byteSizeDoesNotMatchShape() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("w", 0, 20, shape: "[2,3]"))}", data: Array(repeating: 0, count: 20)),
                          "size-mismatch", rule: "byte size does not match shape") {
            .sizeMismatch(path: $0, tensor: "w", dtype: .f32, shape: [2, 3], expectedBytes: 24, foundBytes: 20)
        }
    }

    @Test func overlappingOffsets() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("b", 4, 12)),\(Self.entry("a", 0, 8))}", data: Array(repeating: 0, count: 12)),
                          "overlap", rule: "overlapping data") {
            .overlappingData(path: $0, tensor: "b", previous: "a", begin: 4, previousEnd: 8)
        }
    }

    @Test func gapBetweenOffsetsOrUncoveredBytes() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("a", 0, 8)),\(Self.entry("b", 12, 20))}", data: Array(repeating: 0, count: 20)),
                          "gap", rule: "gap in the data buffer") { .dataGap(path: $0, tensor: "b", expectedBegin: 8, begin: 12) }
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("a", 4, 12))}", data: Array(repeating: 0, count: 12)),
                          "late-start", rule: "expected it to begin at 0") { .dataGap(path: $0, tensor: "a", expectedBegin: 0, begin: 4) }
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("a", 0, 8))}", data: Array(repeating: 0, count: 12)),
                          "trailing", rule: "not fully covered") { .uncoveredTrailingData(path: $0, coveredEnd: 8, bufferSize: 12) }
    }

    @Test func offsetsOutOfBounds() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("a", 0, 8))}", data: Array(repeating: 0, count: 4)),
                          "out-of-bounds", rule: "data_offsets out of bounds") {
            .offsetsOutOfBounds(path: $0, tensor: "a", begin: 0, end: 8, bufferSize: 4)
        }
    }

    @Test func invalidDataOffsets() throws {
        try expectFailure(safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}"),
                          "reversed", rule: "begin <= end") { .invalidDataOffsets(path: $0, tensor: "a", offsets: [8, 0]) }
        try expectFailure(safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0]}}"),
                          "one-offset", rule: "[begin, end]") { .invalidDataOffsets(path: $0, tensor: "a", offsets: [0]) }
    }

    @Test func metadataMustMapStringsToStrings() throws {
        try expectFailure(safetensorsBytes(header: "{\"__metadata__\":{\"name\":\"x\",\"epoch\":3}}"),
                          "metadata-number", rule: "is not a string") { .metadataValueNotString(path: $0, key: "epoch", found: "3") }
        try expectFailure(safetensorsBytes(header: "{\"__metadata__\":[\"a\"]}"),
                          "metadata-array", rule: "must be an object") { .metadataNotObject(path: $0, found: "array") }
        try expectFailure(safetensorsBytes(header: "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"),
                          "metadata-dup", rule: "duplicate key") { .duplicateMetadataKey(path: $0, key: "k") }
    }

    @Test func duplicateTensorNames() throws {
        try expectFailure(safetensorsBytes(header: "{\(Self.entry("w", 0, 8)),\(Self.entry("w", 8, 16))}", data: Array(repeating: 0, count: 16)),
                          "duplicate", rule: "duplicate tensor name") { .duplicateTensorName(path: $0, name: "w") }
    }

    @Test func entryFieldsMissingOrMistyped() throws {
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"shape\":[0],\"data_offsets\":[0,0]}}"),
                          "no-dtype", rule: "missing field \"dtype\"") { .missingField(path: $0, tensor: "w", field: "dtype") }
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}"),
                          "string-shape", rule: "wrong type") {
            .invalidField(path: $0, tensor: "w", field: "shape", expected: "an array of integers", found: "\"2\"")
        }
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}"),
                          "float-shape", rule: "found [2.0]") {
            .invalidField(path: $0, tensor: "w", field: "shape", expected: "an array of integers", found: "[2.0]")
        }
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"dtype\":1,\"shape\":[],\"data_offsets\":[0,4]}}"),
                          "number-dtype", rule: "expected a string") {
            .invalidField(path: $0, tensor: "w", field: "dtype", expected: "a string", found: "1")
        }
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,0]}}"),
                          "negative", rule: "negative extent") { .negativeExtent(path: $0, tensor: "w", shape: [-2]) }
        try expectFailure(safetensorsBytes(header: "{\"w\":[1]}"), "entry-array", rule: "entry must be an object") {
            .entryNotObject(path: $0, tensor: "w", found: "[1]")
        }
        try expectFailure(safetensorsBytes(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}"),
                          "overflow", rule: "more elements") { .shapeOverflow(path: $0, tensor: "w", shape: [4_611_686_018_427_387_904, 4]) }
    }

    /// Every truncation of a valid file, and every single-byte corruption of its header, is either
    /// rejected with a `SafetensorsError` or (when the change is harmless) still reads.
    @Test func truncationsAndCorruptionsNeverCrash() throws {
        let url = dir.file("valid.safetensors")
        try Safetensors.write(SafetensorsTests.sample, metadata: ["k": "v"], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let damaged = dir.file("damaged.safetensors")
        for length in 0..<bytes.count {
            try Data(bytes[..<length]).write(to: damaged)
            #expect(openingError(damaged) != nil, "length \(length)")
        }
        let headerEnd = try SafetensorsFile(contentsOf: url).dataStart
        for position in 0..<headerEnd {
            for replacement: UInt8 in [0x00, 0x22, 0x5D, 0x7D, 0xFF, 0x39] where bytes[position] != replacement {
                var copy = bytes
                copy[position] = replacement
                try Data(copy).write(to: damaged)
                do {
                    _ = try SafetensorsFile(contentsOf: damaged).tensors()
                } catch {
                    #expect(error is SafetensorsError, "byte \(position): \(error)")
                }
            }
        }
    }
}
