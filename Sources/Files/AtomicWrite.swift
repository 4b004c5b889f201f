import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file all-or-nothing: the bytes go to a temporary file in the target's directory,
/// which is flushed to disk and then renamed over the target. Readers see the old file or the
/// new one, never a mix; on failure the temporary file is removed and the target is untouched.
public enum AtomicWrite {
    /// Replaces the file at `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { sink in try sink.write(data) }
    }

    /// Replaces the file at `url` with whatever `body` writes to the sink, streamed in pieces.
    /// An error thrown by `body` aborts the write and is rethrown unchanged.
    public static func write(to url: URL, _ body: (Sink) throws -> Void) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AtomicWriteError.directoryMissing(path: path, directory: directory)
        }
        var existing = stat()
        if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) != S_IFREG {
            throw AtomicWriteError.notAFile(path: path, kind: FileContents.kind(existing.st_mode))
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)\(temporarySuffix)").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw AtomicWriteError.failed(path: path, step: "create a temporary file", reason: lastErrorText()) }
        var isOpen = true
        do {
            try body(Sink(descriptor: descriptor, path: path))
            guard fsync(descriptor) == 0 else { throw AtomicWriteError.failed(path: path, step: "flush to disk", reason: lastErrorText()) }
            isOpen = false
            guard close(descriptor) == 0 else { throw AtomicWriteError.failed(path: path, step: "close", reason: lastErrorText()) }
            guard rename(temporary, path) == 0 else {
                throw AtomicWriteError.failed(path: path, step: "rename the temporary file over the target", reason: lastErrorText())
            }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// Writes `data` to `url` only when nothing is there yet, whole or not at all: of writers
    /// racing for the same path exactly one creates it (link(2) refuses the others). Returns
    /// false, writing nothing, when `url` already exists.
    public static func create(_ data: Data, at url: URL) throws -> Bool {
        let staged = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).new\(temporarySuffix)")
        try write(data, to: staged)
        defer { unlink(staged.path) }
        guard link(staged.path, url.path) == 0 else {
            if errno == EEXIST { return false }
            throw AtomicWriteError.failed(path: url.path, step: "create it", reason: lastErrorText())
        }
        syncDirectory(url.deletingLastPathComponent().path)
        return true
    }

    /// Checks, before long work, that `write(to: url)` could write: the directory exists, no
    /// directory or device is in the way, and a file can be created beside the target (a
    /// read-only or full file system fails here). Nothing is left behind.
    public static func checkWritable(_ url: URL) throws {
        struct Probe: Error {}
        do { try write(to: url) { _ in throw Probe() } } catch is Probe {}
    }

    /// The suffix of temporary files (`.<name>.<uuid>.tmp`), which exist only while a write is in progress.
    public static let temporarySuffix = ".tmp"

    /// Where `write(to:_:)` sends bytes; valid only inside the body.
    public struct Sink {
        fileprivate let descriptor: Int32
        /// The target file (not the temporary one), for error messages.
        public let path: String

        /// Appends `bytes` to the file.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let written = writeBytes(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AtomicWriteError.failed(path: path, step: "write", reason: lastErrorText())
                }
                offset += written
            }
        }

        /// Appends `data` to the file.
        public func write(_ data: Data) throws {
            try data.withUnsafeBytes { try write($0) }
        }

        /// Appends `bytes` to the file.
        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }
    }

    /// Makes the rename itself durable. Best effort: the new file is already in place, so a
    /// directory that cannot be opened or synced is not a failure of the write.
    package static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

private func lastErrorText() -> String { String(cString: strerror(errno)) }

/// POSIX `write(2)`, reachable from inside `Sink`, whose own `write` methods shadow the name.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Why an atomic write failed; the target file is unchanged and no temporary file remains.
public enum AtomicWriteError: Error, CustomStringConvertible, Equatable {
    /// The directory that would hold the file does not exist.
    case directoryMissing(path: String, directory: String)
    /// A system call failed at `step`; `reason` is the system's message.
    case failed(path: String, step: String, reason: String)
    /// Something that is not a regular file (a device, a directory, a FIFO) is at the path; it is
    /// left alone rather than replaced.
    case notAFile(path: String, kind: String)
    /// An existing output holds files that are not an earlier output's; it is left alone.
    case notReplaceable(path: String, reason: String)

    /// The target path, the failed step and the reason.
    public var description: String {
        switch self {
        case .directoryMissing(let path, let directory):
            "\(path): cannot write: directory \(directory) does not exist"
        case .failed(let path, let step, let reason):
            "\(path): cannot write: \(step) failed: \(reason)"
        case .notAFile(let path, let kind):
            "\(path): cannot write: it is \(kind), not a file (give the path of a file to create or replace)"
        case .notReplaceable(let path, let reason):
            "\(path): not replaced: \(reason)"
        }
    }
}
