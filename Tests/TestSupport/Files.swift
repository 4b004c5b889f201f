import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// `name` inside the directory.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The names of the files in the directory, sorted.
    public func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    /// Writes `bytes` to `name` and returns its URL.
    public func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let url = file(name)
        try Data(bytes).write(to: url)
        return url
    }
}

/// A result handed back from another thread.
public final class ThreadResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    public let finished = DispatchSemaphore(value: 0)
    public var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// `body` run on a thread of its own, or nil when it has not returned within `seconds` (a read
/// blocked on a FIFO); `release` is then called so that the thread can finish.
public func withinTimeLimit<T: Sendable>(_ seconds: Double, release: () -> Void, _ body: @escaping @Sendable () -> T) -> T? {
    let result = ThreadResult<T>()
    Thread {
        result.value = body()
        result.finished.signal()
    }.start()
    if result.finished.wait(timeout: .now() + seconds) == .success { return result.value }
    release()
    return nil
}

/// A FIFO (no writer) in a fresh temporary directory.
public func makeFIFO(in directory: TemporaryDirectory, named name: String) throws -> URL {
    let url = directory.file(name)
    guard mkfifo(url.path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
    return url
}

/// Opens and closes the FIFO as a writer, so that a reader blocked in `open` goes on (to EOF).
public func releaseFIFO(_ url: URL) {
    let fd = open(url.path, O_RDWR | O_NONBLOCK)
    if fd >= 0 { close(fd) }
}
