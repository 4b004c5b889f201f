import Foundation
import Testing
import Tensors
import TestSupport
@testable import Data
#if canImport(Glibc)
import Glibc
#endif

/// Adversarial inputs to the data readers: class counts and files that would allocate without
/// bound, block or leak a Foundation error text must be errors naming the file and field.
@Suite struct InputLimitsTests {
    @Test func declaredClassCountOverTheLimitNamesTheColumnAndMemory() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("x,task:y:multiclass:1000000000\n1,3\n", named: "c.csv", in: dir)
        let error = dataError { try CSVDataset.load(url) }
        guard case .malformedCSV(let path, let line, let column, let reason) = error else {
            Issue.record("expected .malformedCSV, got \(String(describing: error))")
            return
        }
        #expect(path == url.path && line == 1 && column == 2)
        #expect(reason.contains("header 'task:y:multiclass:1000000000'") && reason.contains("more than 16777216") && reason.contains("3.7 GiB"), "\(reason)")
    }

    @Test func classCountTooLargeForIntIsTooLargeNotMalformed() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("x,task:y:multiclass:99999999999999999999\n1,3\n", named: "c.csv", in: dir)
        #expect(dataError { try CSVDataset.load(url) }?.description.contains("more than 16777216") == true)
    }

    @Test func classLabelsThatAreNotSmallIntegersAreRejected() throws {
        let dir = try makeTemporaryDirectory()
        for (label, problem) in [("1e9", "not a class index"), ("2.5", "not a class index"), ("-1", "not a class index"), ("16777216", "not a class index")] {
            let url = try writeText("x,task:y:multiclass\n1,\(label)\n", named: "l.csv", in: dir)
            #expect(dataError { try CSVDataset.load(url) }?.description.contains(problem) == true, "\(label)")
        }
        // The largest index allowed gives the largest class count allowed, when the header says so;
        // inferred from one label, so many classes is taken for a stray label.
        let url = try writeText("x,task:y:multiclass:16777216\n1,16777215\n", named: "max.csv", in: dir)
        #expect(try CSVDataset.load(url).tasks[0].kind == .multiclass(classes: 1 << 24))
        let inferred = try writeText("x,task:y:multiclass\n1,16777215\n", named: "inferred.csv", in: dir)
        #expect(dataError { try CSVDataset.load(inferred) }?.description.contains("would make 16777216 classes, but only 1 distinct labels are present") == true)
    }

    @Test func datasetRejectsAClassCountOverTheLimit() {
        let info = TaskInfo(name: "y", kind: .multiclass(classes: 1_000_000_000))
        let error = dataError { try Dataset(name: "d", inputs: .zeros([2, 1]), tasks: [info], labels: ["y": Tensor([0, 1])]) }
        #expect(error?.description.contains("1000000000 classes is more than 16777216") == true, "\(String(describing: error))")
    }

    @Test func fifoIsRefusedWithoutBlocking() throws {
        let dir = try makeTemporaryDirectory()
        let readers: [(String, @Sendable (URL) throws -> Void)] = [("csv", { _ = try CSVDataset.load($0) }), ("idx", { _ = try IDX.read($0) })]
        for (what, read) in readers {
            let fifo = dir.appendingPathComponent("\(what).fifo")
            try #require(mkfifo(fifo.path, 0o600) == 0)
            let outcome = withinTimeLimit(10, release: {
                let fd = open(fifo.path, O_RDWR | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }) { () -> String? in
                do { try read(fifo); return nil } catch { return "\(error)" }
            }
            guard let outcome else {
                Issue.record("\(what): reading a FIFO blocked")
                continue
            }
            #expect(outcome == "\(fifo.path): cannot read: not a regular file (a FIFO)", "\(what)")
        }
    }

    @Test func deviceAndDirectorySayWhatTheyAre() throws {
        let dir = try makeTemporaryDirectory()
        #expect(dataError { try IDX.read(URL(fileURLWithPath: "/dev/null")) }?.description == "/dev/null: cannot read: not a regular file (a character device)")
        #expect(dataError { try CSVDataset.load(dir) }?.description == "\(dir.path): cannot read: not a regular file (a directory)")
    }

    @Test func fileLargerThanMemoryIsRefusedBeforeAllocating() throws {
        // A sparse file one byte over physical memory: nothing on disk, nothing to allocate.
        let dir = try makeTemporaryDirectory()
        let url = try writeFile([], named: "sparse.csv", in: dir)
        let size = Int(ProcessInfo.processInfo.physicalMemory) + 1
        try #require(truncate(url.path, off_t(size)) == 0)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(dataError { try CSVDataset.load(url) }?.description.contains("\(size) bytes, more than this machine's memory") == true)
    }

    @Test func gzipThatInflatesPastItsHeaderStopsEarly() throws {
        // The header describes 24 bytes; the stream holds 64 MiB of zeros (a 64 KiB file).
        let dir = try makeTemporaryDirectory()
        let bomb = gzipped(idxBytes(shape: [24], payload: [UInt8](repeating: 0, count: 64 << 20)))
        let url = try writeFile(bomb, named: "bomb.gz", in: dir)
        #expect(dataError { try IDX.read(url) } == .invalidContents(path: url.path, reason: "IDX header describes 32 bytes but the gzip stream inflates to more"))
    }

    @Test func gzipWithAbsurdHeaderExtentsIsASizeMismatch() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(gzipped(idxBytes(shape: [0xFFFF, 0xFFFF_FFFF], payload: [1, 2, 3])), named: "huge.gz", in: dir)
        #expect(dataError { try IDX.read(url) } == .sizeMismatch(path: url.path, expectedBytes: 12 + 0xFFFF * 0xFFFF_FFFF, actualBytes: 15))
        let overflow = try writeFile(gzipped(idxBytes(shape: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1])), named: "overflow.gz", in: dir)
        #expect(dataError { try IDX.read(overflow) }?.description.contains("more elements than can be addressed") == true)
    }
}
