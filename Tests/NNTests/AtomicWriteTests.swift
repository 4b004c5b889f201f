import Files
import Foundation
import TestSupport
import Testing
@testable import NN
import Tensors

@Suite("Atomic writes")
struct AtomicWriteTests {
    struct Interrupted: Error, Equatable {}

    @Test func writesANewFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("out.bin")
        try AtomicWrite.write(Data([1, 2, 3]), to: url)
        #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
        #expect(try dir.contents() == ["out.bin"])
    }

    @Test func missingDirectoryFailsAndCreatesNothing() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("absent").appendingPathComponent("model.safetensors")
        let error = thrownError { try Safetensors.write([("w", Tensor([1]))], to: url) }
        #expect(error as? AtomicWriteError == .directoryMissing(path: url.path, directory: dir.file("absent").path))
        #expect("\(error.map { "\($0)" } ?? "")".contains("model.safetensors"))
        #expect(try dir.contents().isEmpty)
    }

    @Test func overwritingReplacesTheWholeFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.safetensors")
        try Safetensors.write([("big", Tensor.full([10_000], 7))], metadata: ["version": "1"], to: url)
        try Safetensors.write([("small", Tensor([1, 2]))], metadata: ["version": "2"], to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.entries.map(\.name) == ["small"] && file.metadata == ["version": "2"])
        #expect(file.fileSize == file.dataStart + 8)
        #expect(try dir.contents() == ["model.safetensors"])
    }

    @Test func failureInTheMiddleLeavesTheOldFileAndNoTemporary() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("model.bin")
        try AtomicWrite.write(Data("old contents".utf8), to: url)
        let error = thrownError {
            try AtomicWrite.write(to: url) { sink in
                try sink.write(Data("new partial".utf8))
                #expect(try dir.contents().contains { $0.hasSuffix(AtomicWrite.temporarySuffix) })
                throw Interrupted()
            }
        }
        #expect(error as? Interrupted == Interrupted())
        #expect(try String(contentsOf: url, encoding: .utf8) == "old contents")
        #expect(try dir.contents() == ["model.bin"])
    }

    /// A directory, a device or a FIFO at the target is left alone, not replaced (an atomic rename
    /// over /dev/null would replace the device node), and nothing is left behind.
    @Test func refusesTargetsThatAreNotFiles() throws {
        let dir = try TemporaryDirectory()
        let target = dir.file("occupied")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data([1]).write(to: target.appendingPathComponent("inside"))
        #expect(throws: AtomicWriteError.notAFile(path: target.path, kind: "a directory")) { try AtomicWrite.write(Data([9]), to: target) }
        #expect(try dir.contents() == ["occupied"])
        #expect(throws: AtomicWriteError.notAFile(path: "/dev/null", kind: "a character device")) { try AtomicWrite.write(Data([9]), to: URL(fileURLWithPath: "/dev/null")) }
        let fifo = try makeFIFO(in: dir, named: "pipe")
        #expect(throws: AtomicWriteError.notAFile(path: fifo.path, kind: "a FIFO")) { try AtomicWrite.write(Data([9]), to: fifo) }
    }
}
