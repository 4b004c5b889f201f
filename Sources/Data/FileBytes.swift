import Foundation

/// Reads whole files into byte arrays with POSIX calls, turning failures into `DataError`s that
/// name the file (and avoiding Foundation's `Data`, whose name this module shares). Files are
/// opened non-blocking, so a FIFO without a writer is refused ("not a regular file") at once, and
/// a file larger than physical memory (a sparse one, say) is refused before it is allocated.
package enum FileBytes {
    /// Every byte of the file at `url`.
    package static func read(_ url: URL) throws -> [UInt8] {
        let path = url.path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw DataError.fileNotFound(path: path) }
            throw DataError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError.unreadable(path: path, reason: "not a regular file (\(kind(info.st_mode)))")
        }
        let size = Int(info.st_size)
        guard UInt64(size) <= ProcessInfo.processInfo.physicalMemory else {
            throw DataError.unreadable(path: path, reason: "the file holds \(size) bytes, more than this machine's memory (\(ProcessInfo.processInfo.physicalMemory) bytes)")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let got = Foundation.read(fd, buffer.baseAddress! + initialized, size - initialized)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if got == 0 { return }
                initialized += got
            }
        }
        if failure != 0 { throw DataError.unreadable(path: path, reason: String(cString: strerror(failure))) }
        guard bytes.count == size else {
            throw DataError.unreadable(path: path, reason: "file shrank while reading (\(bytes.count) of \(size) bytes)")
        }
        return bytes
    }

    /// What a non-regular file is, in words.
    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }
}
