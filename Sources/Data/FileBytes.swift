import Files
import Foundation

/// Reads whole files into byte arrays with POSIX calls, turning failures into `DataError`s that
/// name the file (and avoiding Foundation's `Data`, whose name this module shares). Files are
/// opened non-blocking, so a FIFO without a writer is refused ("not a regular file") at once, and
/// a file larger than physical memory (a sparse one, say) is refused before it is allocated.
package enum FileBytes {
    /// Every byte of the file at `url`.
    package static func read(_ url: URL) throws -> [UInt8] {
        let path = url.path
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        do { return try FileContents.bytes(path, atMost: memory) } catch {
            if error.missing { throw DataError.fileNotFound(path: path) }
            if let size = error.tooLarge {
                throw DataError.unreadable(path: path, reason: "the file holds \(size) bytes, more than this machine's memory (\(memory) bytes)")
            }
            throw DataError.unreadable(path: path, reason: error.reason)
        }
    }
}
