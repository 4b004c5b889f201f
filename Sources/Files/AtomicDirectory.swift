import Foundation

/// Creates a directory of outputs all-or-nothing: the files are written into a hidden staging
/// directory beside the target (`.<name>.<uuid>.tmp`), which is renamed into place only when
/// every file is complete. A kill leaves the old target (or none) and a staging directory that
/// the next write for the same target removes.
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
        let exists = manager.fileExists(atPath: url.path)
        if exists {
            guard let replace else { throw AtomicWriteError.failed(path: url.path, step: "create the output", reason: "it already exists") }
            try replace(url)
        }
        // Staging directories of earlier writes to this target that were killed.
        for entry in (try? manager.contentsOfDirectory(atPath: parent.path)) ?? []
        where entry.hasPrefix(".\(name).") && entry.hasSuffix(AtomicWrite.temporarySuffix) {
            try? manager.removeItem(at: parent.appendingPathComponent(entry))
        }
        let staging = parent.appendingPathComponent(".\(name).\(UUID().uuidString)\(AtomicWrite.temporarySuffix)")
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
            try body(staging)
            AtomicWrite.syncDirectory(staging.path)
            if exists {
                let old = parent.appendingPathComponent(".\(name).\(UUID().uuidString).old\(AtomicWrite.temporarySuffix)")
                try manager.moveItem(at: url, to: old)
                try manager.moveItem(at: staging, to: url)
                try? manager.removeItem(at: old)
            } else {
                guard rename(staging.path, url.path) == 0 else {
                    throw AtomicWriteError.failed(path: url.path, step: "rename the staging directory into place", reason: String(cString: strerror(errno)))
                }
            }
            AtomicWrite.syncDirectory(parent.path)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
