import Files
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The staged directory write: whole or nothing, and the cleanup of killed writers' staging
/// directories touches nothing else.
@Suite("Atomic directories")
struct AtomicDirectoryTests {
    /// Makes `name` in `directory` with its modification time `age` seconds ago.
    func make(_ name: String, in directory: TemporaryDirectory, age: Int) throws -> URL {
        let url = directory.file(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        _ = try directory.write([1], to: "\(name)/part")
        var times = [timespec(tv_sec: time(nil) - age, tv_nsec: 0), timespec(tv_sec: time(nil) - age, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, url.path, &times, 0)
        return url
    }

    @Test func cleansOnlyAbandonedStagingDirectories() throws {
        let directory = try TemporaryDirectory()
        let abandoned = try make(".out.\(UUID().uuidString).tmp", in: directory, age: 60)
        let fresh = try make(".out.\(UUID().uuidString).tmp", in: directory, age: 0)
        let locked = try make(".out.\(UUID().uuidString).tmp", in: directory, age: 60)
        let foreign = try make(".out.important.tmp", in: directory, age: 60)
        let otherTarget = try make(".out.v2.\(UUID().uuidString).tmp", in: directory, age: 60)
        let holder = open(locked.path, O_RDONLY | O_DIRECTORY)
        #expect(flock(holder, LOCK_EX) == 0)
        defer { close(holder) }
        try AtomicDirectory.write(to: directory.file("out")) { staging in
            _ = try Data([7]).write(to: staging.appendingPathComponent("file"))
        }
        #expect(try Data(contentsOf: directory.file("out/file")) == Data([7]))
        #expect(!FileManager.default.fileExists(atPath: abandoned.path), "a killed writer's staging directory is removed")
        for kept in [fresh, locked, foreign, otherTarget] {
            #expect(FileManager.default.fileExists(atPath: kept.path), "\(kept.lastPathComponent) is not ours to remove")
        }
    }

    @Test func failureLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try AtomicDirectory.write(to: directory.file("out")) { staging in
                _ = try Data([1]).write(to: staging.appendingPathComponent("half"))
                throw Boom()
            }
        }
        #expect(try directory.contents().isEmpty)
        try AtomicDirectory.write(to: directory.file("out")) { _ in }
        #expect(throws: AtomicWriteError.self) { try AtomicDirectory.write(to: directory.file("out")) { _ in } }
    }

    /// Only a directory is replaced: a file or a link at the path is left alone, whatever the
    /// replace check says.
    @Test func filesAndLinksAreNeverReplaced() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write([1, 2], to: "notes")
        symlink(directory.file("elsewhere").path, directory.file("link").path)
        for name in ["notes", "link"] {
            #expect(throws: AtomicWriteError.self) { try AtomicDirectory.write(to: directory.file(name), replace: { _ in }) { _ in } }
        }
        #expect(try Data(contentsOf: directory.file("notes")) == Data([1, 2]))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: directory.file("link").path)) != nil)
    }

    /// Replacing swaps the directories in one step (RENAME_EXCHANGE): a reader polling the output
    /// throughout 200 replacements always finds a complete one, and no staging directory stays.
    @Test func replacingNeverLeavesTheOutputMissing() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("out")
        try AtomicDirectory.write(to: out) { try Data([0]).write(to: $0.appendingPathComponent("file")) }
        let stop = ManagedAtomicFlag(), missing = ManagedAtomicFlag()
        let reader = Thread {
            while !stop.value { if (try? Data(contentsOf: out.appendingPathComponent("file")))?.count != 1 { missing.set() } }
        }
        reader.start()
        for k in 1...200 {
            try AtomicDirectory.write(to: out, replace: { _ in }) { try Data([UInt8(k % 256)]).write(to: $0.appendingPathComponent("file")) }
        }
        stop.set()
        while !reader.isFinished { usleep(1000) }
        #expect(!missing.value)
        #expect(try Data(contentsOf: out.appendingPathComponent("file")) == Data([200]))
        #expect(try directory.contents() == ["out"])
    }
}

/// Creating a file only when absent: of writers racing for one path, exactly one creates it,
/// whole; the others are told it exists and change nothing.
@Suite("Atomic create")
struct AtomicCreateTests {
    @Test func exactlyOneRacingWriterCreates() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("settings.json")
        let wins = ManagedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            if (try? AtomicWrite.create(Data(repeating: UInt8(k), count: 1000), at: target)) == true { wins.add() }
        }
        #expect(wins.value == 1)
        let bytes = try Data(contentsOf: target)
        #expect(bytes.count == 1000 && Set(bytes).count == 1)
        #expect(try AtomicWrite.create(Data([9]), at: target) == false && Data(contentsOf: target) == bytes)
        #expect(try directory.contents() == ["settings.json"])
    }
}

/// A count added to from several threads.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}

/// A flag set by one thread and read by another.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}
