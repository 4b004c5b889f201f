import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a run directory: the file `lock`, held with `flock(2)` for as long as this
/// object lives, and holding the owner's PID. The kernel drops the lock when its process dies,
/// so a lock file left by a killed run is stale by construction and is simply taken over.
final class RunLock: @unchecked Sendable {
    private let descriptor: Int32
    let path: String

    /// Takes the lock of `directory` or fails at once, naming the process that holds it.
    init(directory: URL) throws {
        path = directory.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link (a lock file is never followed)" : String(cString: strerror(errno))
            throw RunDirectoryError.io(path: path, step: "open the lock file", reason: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw RunDirectoryError.io(path: path, step: "use the lock file", reason: "it is not a regular file")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let owner = RunLock.readOwner(fd)
            close(fd)
            if code == EWOULDBLOCK { throw RunDirectoryError.inUse(path: directory.path, pid: owner) }
            throw RunDirectoryError.io(path: path, step: "lock", reason: String(cString: strerror(code)))
        }
        descriptor = fd
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    private static func readOwner(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
