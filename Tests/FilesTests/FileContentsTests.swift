import Files
import Foundation
import TestSupport
import Testing

/// Reading files with POSIX calls: regular files only, refused at once otherwise, with the
/// system's reason and never a Foundation text; the size is checked before allocating.
@Suite("File contents")
struct FileContentsTests {
    private func problem(_ path: String, atMost limit: Int = 1 << 20) -> FileContents.Problem? {
        do { _ = try FileContents.bytes(path, atMost: limit); return nil } catch { return error }
    }

    @Test func readsARegularFileWhole() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.write([1, 2, 3, 250], to: "x.bin")
        #expect(try FileContents.bytes(url.path, atMost: 4) == [1, 2, 3, 250])
        #expect(try [UInt8](FileContents.mapped(url.path)) == [1, 2, 3, 250])
        #expect(try FileContents.mapped(try dir.write([], to: "empty").path).isEmpty)
    }

    @Test func refusesWhatIsNotARegularFile() throws {
        let dir = try TemporaryDirectory()
        let fifo = try makeFIFO(in: dir, named: "pipe")
        let outcome = withinTimeLimit(5, release: { releaseFIFO(fifo) }) { problem(fifo.path)?.reason }
        #expect(outcome == "not a regular file (a FIFO)")  // at once: no writer needed
        #expect(problem(dir.url.path)?.reason == "not a regular file (a directory)")
        #expect(problem("/dev/zero")?.reason == "not a regular file (a character device)")
        let missing = problem(dir.file("nope").path)
        #expect(missing?.missing == true && missing?.reason == "No such file or directory")
    }

    @Test func sizeIsCheckedBeforeReading() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.write([UInt8](repeating: 7, count: 100), to: "big")
        let refused = problem(url.path, atMost: 99)
        #expect(refused?.tooLarge == 100 && refused?.reason.contains("holds 100 bytes, more than the 99 expected") == true)
    }
}
