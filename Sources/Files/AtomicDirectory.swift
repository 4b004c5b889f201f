import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Creates a directory of outputs all-or-nothing: the files are written into a hidden staging
/// directory beside the target (`.<name>.<UUID>.tmp`), which is renamed into place only when
/// every file is complete. The writer holds an `flock` on its staging directory, so a staging
/// directory left by a killed writer (unlocked) is removed by the next write to the same target,
/// while one that is still being written (locked) is never touched; nothing else is removed.
public enum AtomicDirectory {
    /// Fills a fresh directory with `body(staging)` and moves it to `url`. An existing `url` is an
    /// error unless `replace` is given and says it may go (it is then swapped out and removed).
    public static func write(to url: URL, replace: ((URL) throws -> Void)? = nil, _ body: (URL) throws -> Void) throws {
        let manager = FileManager.default
        let parent = url.deletingLastPathComponent(), name = url.lastPathComponent
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AtomicWriteError.directoryMissing(path: url.path, directory: parent.path)
        }
        var info = stat()
        let exists = lstat(url.path, &info) == 0
        if exists {
            guard let replace else { throw AtomicWriteError.failed(path: url.path, step: "create the output", reason: "it already exists") }
            // Only a directory is swapped out: never a user's file, nor a link (whose target would stay).
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw AtomicWriteError.notReplaceable(path: url.path, reason: "it is \(FileContents.kind(info.st_mode)), not an earlier output's directory; move it away or write elsewhere")
            }
            try replace(url)
        }
        removeAbandoned(name, in: parent)
        let staging = temporarySibling(of: url)
        guard mkdir(staging.path, 0o777) == 0 else {
            throw AtomicWriteError.failed(path: url.path, step: "create the staging directory \(staging.path)", reason: String(cString: strerror(errno)))
        }
        let lock = open(staging.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if lock >= 0 { _ = flock(lock, LOCK_EX | LOCK_NB) }
        defer { if lock >= 0 { close(lock) } }
        do {
            try body(staging)
            AtomicWrite.syncDirectory(staging.path)
            if exists {
                try swap(staging, into: url)
                try? manager.removeItem(at: staging)  // now the earlier output
            } else {
                guard rename(staging.path, url.path) == 0 else {
                    let reason = errno == ENOTEMPTY || errno == EEXIST ? "another process created it meanwhile" : String(cString: strerror(errno))
                    throw AtomicWriteError.failed(path: url.path, step: "rename the staging directory into place", reason: reason)
                }
            }
            AtomicWrite.syncDirectory(parent.path)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }

    /// A `replace` check that lets an existing directory go only when it holds nothing but
    /// `files` (an earlier output of the same kind, `what`); anything else in it is named.
    public static func holdingOnly(_ files: Set<String>, what: String) -> @Sendable (URL) throws -> Void {
        { url in
            let foreign = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !files.contains($0) }.sorted()
            guard foreign.isEmpty else {
                throw AtomicWriteError.notReplaceable(path: url.path, reason: "it holds \(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", ..." : ""), which is not part of an earlier \(what); move it away or write elsewhere")
            }
        }
    }

    /// Checks, before long work, that `write(to: url, replace:)` could write (the staging
    /// directory is made and removed); `replace` is asked whether an existing `url` may go.
    public static func checkWritable(_ url: URL, replace: ((URL) throws -> Void)? = nil) throws {
        struct Probe: Error {}
        do { try write(to: url, replace: replace) { _ in throw Probe() } } catch is Probe {}
    }

    /// Puts `staging` at `url` and the earlier `url` at `staging`, atomically where the system can
    /// (renameat2's RENAME_EXCHANGE): a kill at any moment leaves `url` holding the old output or
    /// the new one. Elsewhere two renames, the first undone if the second fails.
    static func swap(_ staging: URL, into url: URL) throws {
        if let exchange = renameat2, exchange(AT_FDCWD, staging.path, AT_FDCWD, url.path, 2 /* RENAME_EXCHANGE */) == 0 { return }
        let parked = temporarySibling(of: url)
        guard rename(url.path, parked.path) == 0 else {
            throw AtomicWriteError.failed(path: url.path, step: "move the earlier output aside", reason: String(cString: strerror(errno)))
        }
        guard rename(staging.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(parked.path, url.path)
            throw AtomicWriteError.failed(path: url.path, step: "rename the staging directory into place (the earlier output is kept)", reason: reason)
        }
        _ = rename(parked.path, staging.path)
    }

    /// `.<name>.<UUID>.tmp` beside `url`: the names `removeAbandoned` knows as a killed writer's.
    private static func temporarySibling(of url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)\(AtomicWrite.temporarySuffix)")
    }

    private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    /// glibc's renameat2 (2.28 on), looked up at run time: Swift's Glibc module does not declare it.
    private static let renameat2: Renameat2? = dlsym(nil, "renameat2").map { unsafeBitCast($0, to: Renameat2.self) }

    /// Removes `.<name>.<UUID>.tmp` directories in `parent` that no live writer holds locked (and
    /// that are a few seconds old, so one created an instant ago, not yet locked, is left alone).
    static func removeAbandoned(_ name: String, in parent: URL) {
        let prefix = ".\(name).", suffix = AtomicWrite.temporarySuffix
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) && entry.count == prefix.count + 36 + suffix.count {
            let middle = String(entry.dropFirst(prefix.count).dropLast(suffix.count))
            guard UUID(uuidString: middle) != nil else { continue }
            let path = parent.appendingPathComponent(entry).path
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            var info = stat()
            let old = fstat(descriptor, &info) == 0 && time(nil) - info.st_mtim.tv_sec > 5
            let free = old && flock(descriptor, LOCK_EX | LOCK_NB) == 0
            close(descriptor)
            if free { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
