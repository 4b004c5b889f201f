import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files with POSIX calls, so a failure reads as the system's reason ("Permission
/// denied", "not a regular file (a FIFO)") and never as a Foundation error text. The file is
/// opened non-blocking, so a FIFO without a writer is refused instead of hanging.
package enum FileContents {
    /// Why a file could not be read; `missing` when nothing exists at the path, `tooLarge` (its
    /// size) when it holds more than the caller allows.
    package struct Problem: Error {
        package let reason: String
        package let missing: Bool
        package var tooLarge: Int? = nil
    }

    /// Every byte of the regular file at `path`, which may hold at most `limit` bytes (checked
    /// before anything is allocated).
    package static func bytes(_ path: String, atMost limit: Int) throws(Problem) -> [UInt8] {
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
        guard size <= limit else { throw Problem(reason: "it holds \(size) bytes, more than the \(limit) expected", missing: false, tooLarge: size) }
        return try readAll(fd, size)
    }

    /// The regular file at `path`, memory-mapped read-only (unmapped when the `Data` goes away);
    /// read into memory where the file system cannot map it.
    package static func mapped(_ path: String) throws(Problem) -> Data {
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
        guard size > 0 else { return Data() }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            return Data(try readAll(fd, size))
        }
        return Data(bytesNoCopy: address, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }

    /// A descriptor for the regular file at `path` and its size.
    private static func openRegular(_ path: String) throws(Problem) -> (Int32, Int) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw Problem(reason: String(cString: strerror(code)), missing: code == ENOENT)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Problem(reason: reason, missing: false)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw Problem(reason: "not a regular file (\(kind(info.st_mode)))", missing: false)
        }
        return (fd, Int(info.st_size))
    }

    /// `size` bytes from `fd`; a file that shrinks meanwhile is an error.
    private static func readAll(_ fd: Int32, _ size: Int) throws(Problem) -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let got = read(fd, buffer.baseAddress! + initialized, size - initialized)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if got == 0 { return }
                initialized += got
            }
        }
        if failure != 0 { throw Problem(reason: String(cString: strerror(failure)), missing: false) }
        guard bytes.count == size else { throw Problem(reason: "the file shrank while being read (\(bytes.count) of \(size) bytes)", missing: false) }
        return bytes
    }

    /// What a non-regular file is, in words.
    package static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFREG: "a file"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }
}
