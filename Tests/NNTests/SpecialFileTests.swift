import Foundation
import Testing
import Tensors
import TestSupport
@testable import NN
#if canImport(Glibc)
import Glibc
#endif


/// Reading a spec, checkpoint or index from something that is not a regular file says so, at
/// once and in our words; no Foundation error text reaches the message.
@Suite("Special files")
struct SpecialFileTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    /// The description of the error `read` throws for `url`, or nil when it returns or hangs.
    func message(_ url: URL, _ read: @escaping @Sendable (URL) throws -> Void) -> String? {
        let outcome = withinTimeLimit(10, release: { releaseFIFO(url) }) { () -> String? in
            do { try read(url); return nil } catch { return "\(error)" }
        }
        guard let outcome else {
            Issue.record("reading \(url.lastPathComponent) blocked")
            return nil
        }
        return outcome
    }

    static let readers: [(String, @Sendable (URL) throws -> Void)] = [
        ("spec", { _ = try ModelSpec.load($0) }),
        ("checkpoint", { _ = try SafetensorsFile(contentsOf: $0) }),
        ("index", { _ = try SafetensorsIndex(contentsOf: $0) }),
    ]

    @Test func fifoIsRefusedWithoutBlocking() throws {
        for (what, read) in Self.readers {
            let fifo = try makeFIFO(in: dir, named: "\(what).fifo")
            let text = message(fifo, read)
            #expect(text?.contains(fifo.path) == true && text?.contains("not a regular file (a FIFO)") == true, "\(what): \(text ?? "nil")")
        }
    }

    @Test func deviceAndDirectoryAreNotRegularFiles() throws {
        for (what, read) in Self.readers {
            for (url, kind) in [(URL(fileURLWithPath: "/dev/null"), "a character device"), (dir.url, "a directory")] {
                let text = message(url, read)
                #expect(text?.contains("not a regular file (\(kind))") == true, "\(what) \(url.path): \(text ?? "nil")")
                for foundation in ["NSCocoaErrorDomain", "Code=", "You don't have permission", "The file", "couldn’t", "NSError"] {
                    #expect(text?.contains(foundation) != true, "\(what) \(url.path): \(text ?? "nil")")
                }
            }
        }
    }

    @Test func missingAndNonUTF8SpecFiles() throws {
        let absent = dir.file("absent.yaml")
        #expect(message(absent, { _ = try ModelSpec.load($0) }) == "\(absent.path): no such file")
        let binary = try dir.write([0xFF, 0xFE, 0x00, 0x80], to: "binary.yaml")
        #expect(message(binary, { _ = try ModelSpec.load($0) }) == "\(binary.path): not UTF-8 text; expected a YAML model spec")
    }

    @Test func oversizedSpecIsRefusedBeforeReading() throws {
        // Sparse: 17 MiB of nothing on disk, over the 16 MiB a spec may hold.
        let url = try dir.write([], to: "huge.yaml")
        try #require(truncate(url.path, 17 << 20) == 0)
        #expect(message(url, { _ = try ModelSpec.load($0) }) == "\(url.path): cannot read the file: it holds \(17 << 20) bytes, more than the \(16 << 20) expected")
    }

    @Test func checkpointStillMapsAndReadsBack() throws {
        let url = dir.file("ok.safetensors")
        let values: [Float] = [1, -2, 3.5, .nan]
        try Safetensors.write([("w", Tensor(shape: [2, 2], scalars: values))], to: url)
        let file = try SafetensorsFile(contentsOf: url)
        let back = try file.tensor("w").scalars
        #expect(back[0..<3] == values[0..<3] && back[3].isNaN)
    }

    @Test func zeroSizedTensorWithAbsurdExtentsIsAShapeOverflow() throws {
        // No bytes, but [0, 2⁴⁰, 2⁴⁰] would overflow the strides of any view of it.
        let header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[0,1099511627776,1099511627776],\"data_offsets\":[0,0]}}"
        let url = try dir.write(safetensorsBytes(header: header), to: "absurd.safetensors")
        #expect(openingError(url) == .shapeOverflow(path: url.path, tensor: "t", shape: [0, 1 << 40, 1 << 40]))
    }
}
