import Foundation
import Testing
@testable import Data

@Suite struct IDXTests {
    let payload: [UInt8] = (0..<24).map { UInt8($0 * 10) }

    @Test func readsRawFile() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(idxBytes(shape: [2, 3, 4], payload: payload), named: "raw", in: dir)
        let (shape, values) = try IDX.read(url)
        #expect(shape == [2, 3, 4])
        #expect(values == payload)
    }

    @Test func readsGzipFileByMagicNotName() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(gzipped(idxBytes(shape: [24], payload: payload)), named: "no-extension", in: dir)
        let (shape, values) = try IDX.read(url)
        #expect(shape == [24])
        #expect(values == payload)
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let dir = try makeTemporaryDirectory()
        let whole = idxBytes(shape: [6, 4], payload: payload)
        let url = try writeFile(gzipped(Array(whole[..<10])) + gzipped(Array(whole[10...])), named: "two.gz", in: dir)
        #expect(try IDX.read(url).values == payload)
    }

    @Test func readsLargeGzipThatOutgrowsTheSizeHint() throws {
        let dir = try makeTemporaryDirectory()
        let big = (0..<300_000).map { UInt8($0 % 251) }
        let whole = idxBytes(shape: [300_001], payload: big + [7])
        let url = try writeFile(gzipped(Array(whole.dropLast())) + gzipped([7]), named: "hint.gz", in: dir)
        #expect(try IDX.read(url).values == big + [7])
    }

    @Test func missingFileNamesThePath() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("absent.idx")
        let error = dataError { try IDX.read(url) }
        #expect(error == .fileNotFound(path: url.path))
        #expect(error?.description.contains("absent.idx") == true)
    }

    @Test func directoryIsUnreadable() throws {
        let dir = try makeTemporaryDirectory()
        guard case .unreadable(let path, _) = dataError({ try IDX.read(dir) }) else {
            Issue.record("expected .unreadable")
            return
        }
        #expect(path == dir.path)
    }

    @Test func wrongMagicIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile([0x50, 0x4B, 0x03, 0x04, 1, 2, 3], named: "zip", in: dir)
        let error = dataError { try IDX.read(url) }
        #expect(error == .badMagic(path: url.path, found: [0x50, 0x4B, 0x03, 0x04]))
        #expect(error?.description.contains("50 4b 03 04") == true)
    }

    @Test func unknownTypeCodeIsBadMagic() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(idxBytes(type: 0x07, shape: [1], payload: [1]), named: "t7", in: dir)
        #expect(dataError { try IDX.read(url) } == .badMagic(path: url.path, found: [0, 0, 7, 1]))
    }

    @Test func otherElementTypesAreUnsupported() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(idxBytes(type: 0x0D, shape: [1], payload: [0, 0, 0, 0]), named: "floats", in: dir)
        let error = dataError { try IDX.read(url) }
        #expect(error == .unsupportedIDXType(path: url.path, typeCode: 0x0D))
        #expect(error?.description.contains("floats") == true)
        #expect(error?.description.contains("0x0d") == true)
    }

    @Test func truncatedPayloadIsASizeMismatch() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(idxBytes(shape: [5, 5], payload: Array(payload.prefix(20))), named: "short", in: dir)
        #expect(dataError { try IDX.read(url) } == .sizeMismatch(path: url.path, expectedBytes: 12 + 25, actualBytes: 12 + 20))
    }

    @Test func trailingBytesAreASizeMismatch() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(idxBytes(shape: [2], payload: [1, 2, 3]), named: "long", in: dir)
        #expect(dataError { try IDX.read(url) } == .sizeMismatch(path: url.path, expectedBytes: 10, actualBytes: 11))
    }

    @Test func truncatedHeaderIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        let tiny = try writeFile([0, 0], named: "tiny", in: dir)
        let header = try writeFile([0, 0, 8, 3, 0, 0, 0, 2, 0, 0], named: "header", in: dir)
        let rankZero = try writeFile([0, 0, 8, 0], named: "rank0", in: dir)
        for url in [tiny, header, rankZero] {
            guard case .invalidContents(let path, _) = dataError({ try IDX.read(url) }) else {
                Issue.record("expected .invalidContents for \(url.lastPathComponent)")
                continue
            }
            #expect(path == url.path)
        }
    }

    @Test func corruptGzipIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        var bytes = gzipped(idxBytes(shape: [24], payload: payload))
        for i in 12..<(bytes.count - 8) { bytes[i] ^= 0x5A }
        let url = try writeFile(bytes, named: "corrupt.gz", in: dir)
        guard case .corruptGzip(let path, _) = dataError({ try IDX.read(url) }) else {
            Issue.record("expected .corruptGzip")
            return
        }
        #expect(path == url.path)
    }

    @Test func truncatedGzipIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        let bytes = gzipped(idxBytes(shape: [300], payload: (0..<300).map { UInt8($0 % 7) }))
        let url = try writeFile(Array(bytes.prefix(bytes.count / 2)), named: "cut.gz", in: dir)
        let error = dataError { try IDX.read(url) }
        guard case .corruptGzip(let path, let reason) = error else {
            Issue.record("expected .corruptGzip, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("truncated"))
    }

    @Test func garbageAfterGzipStreamIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeFile(gzipped(idxBytes(shape: [2], payload: [1, 2])) + [9, 9, 9], named: "tail.gz", in: dir)
        guard case .corruptGzip(let path, let reason) = dataError({ try IDX.read(url) }) else {
            Issue.record("expected .corruptGzip")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("3 unexpected bytes"))
    }
}
