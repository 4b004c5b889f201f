import Files
import Foundation
import NN
#if canImport(Glibc)
import Glibc
#endif

/// A run directory: the run's identity (`config.json`, `model.yaml`), its saved steps as
/// snapshots, and views of the newest one for people and other tools.
///
/// Every save is one consistent snapshot: a new folder `snapshots/NNNNNNNN/` is written and
/// flushed, then the small pointer `current.json` is replaced atomically. A kill or a failed
/// write at any point leaves the previous snapshot current; stale folders and temporary files
/// are removed the next time the run is opened. `last.safetensors`, `best.safetensors` and
/// `metrics.jsonl` beside them are hard links to the current snapshot's files, refreshed after
/// each switch (readers that must be exact go through `current.json`).
///
/// A directory is used by one process at a time (`lock`, see `RunLock`).
public final class RunDirectory: @unchecked Sendable {
    public let url: URL
    private let lock: RunLock?

    /// Called at each point of a save, for tests that simulate a failure there.
    package var faultInjection: ((SavePoint) throws -> Void)?

    /// The points of a save, in order.
    package enum SavePoint: Sendable, CaseIterable { case filesWritten, beforeSwitch, afterSwitch }

    public var config: URL { url.appendingPathComponent("config.json") }
    public var spec: URL { url.appendingPathComponent("model.yaml") }
    public var pointer: URL { url.appendingPathComponent("current.json") }
    public var snapshots: URL { url.appendingPathComponent("snapshots") }
    public var results: URL { url.appendingPathComponent("results.json") }
    /// A pruned run's masks, written with its identity, before its first snapshot.
    public var masks: URL { url.appendingPathComponent("masks.safetensors") }
    /// Views of the current snapshot (hard links).
    public var lastModel: URL { url.appendingPathComponent(Snapshot.model) }
    public var bestModel: URL { url.appendingPathComponent(Snapshot.best) }
    public var metrics: URL { url.appendingPathComponent(Snapshot.metrics) }

    /// What a run writes at the top of its directory: removed by `--overwrite`, and the only names
    /// a directory may hold to count as empty (besides temporary files).
    static let runEntries = ["config.json", "model.yaml", "current.json", "snapshots", "last.safetensors", "best.safetensors",
                             "metrics.jsonl", "results.json", "baselines", "lock", "state.json", "optimizer.safetensors", "masks.safetensors"]

    private init(_ url: URL, lock: RunLock?) {
        self.url = url
        self.lock = lock
    }

    /// A directory for a new run: created if missing and locked. It must not hold another run
    /// (`config.json`) or other files, unless `overwrite`, which removes the files of a run
    /// (never anything else).
    public static func create(_ url: URL, overwrite: Bool) throws -> RunDirectory {
        // Inside another run a new one could be taken for that run's files (its snapshots), or
        // removed with them; only a run's own baselines live in it.
        if let outer = enclosingRun(url.deletingLastPathComponent()), !url.standardizedFileURL.path.hasPrefix(outer.appendingPathComponent("baselines").path + "/") {
            throw RunDirectoryError.io(path: url.path, step: "start a run there", reason: "it is inside the run directory \(outer.path); choose a directory outside it")
        }
        try makeDirectory(url)
        let lockFile = url.appendingPathComponent("lock").path
        let lockExisted = FileManager.default.fileExists(atPath: lockFile)
        let directory = RunDirectory(url, lock: try RunLock(directory: url))
        var entries = try directory.entries().filter { $0 != "lock" && !isTemporary($0) }
        // A directory that is refused for holding other files keeps no lock file of ours.
        func refuse(_ error: RunDirectoryError) -> RunDirectoryError {
            if !lockExisted { unlink(lockFile) }
            return error
        }
        let started = entries.contains("config.json") || entries.contains("current.json")
        if !started && !entries.isEmpty && entries.allSatisfy(runEntries.contains) {
            // What a run killed before writing its config.json left: not a run, so not kept.
            for name in entries { try directory.remove(url.appendingPathComponent(name)) }
            entries = []
        }
        if !entries.isEmpty {
            guard overwrite else {
                if started { throw RunDirectoryError.holdsARun(path: url.path) }
                throw refuse(.notEmpty(path: url.path, entries: entries.sorted()))
            }
            let foreign = entries.filter { !runEntries.contains($0) }
            guard foreign.isEmpty || entries.contains("config.json") else {
                throw refuse(.notEmpty(path: url.path, entries: foreign.sorted()))
            }
            // A baseline folder holding other files could not take the new baseline run: refused
            // now, before the old run is removed and the new one trained.
            let oldTasks = runTasks(in: url)
            for task in oldTasks {
                let baseline = url.appendingPathComponent("baselines").appendingPathComponent(task)
                guard isDirectory(baseline) else { continue }
                let others = try directory.entries(of: baseline).filter { !runEntries.contains($0) && !isTemporary($0) }
                if !others.isEmpty { throw refuse(.notEmpty(path: baseline.path, entries: others.sorted())) }
            }
            try directory.removeRunFiles(in: url, tasks: oldTasks, keepingEmpty: true)
        }
        try directory.removeTemporaries(in: url)
        return directory
    }

    /// An existing run, locked for continuing it: stale snapshot folders and temporary files
    /// are removed and the views point at the current snapshot.
    public static func open(_ url: URL) throws -> RunDirectory {
        guard isDirectory(url) else { throw RunDirectoryError.noRun(path: url.path) }
        let directory = RunDirectory(url, lock: try RunLock(directory: url))
        guard FileManager.default.fileExists(atPath: directory.config.path) else { throw RunDirectoryError.noRun(path: url.path) }
        try directory.removeTemporaries(in: url)
        let current = try directory.current()
        try directory.prune(keeping: current.map { [$0.sequence] } ?? [])
        if let current { try directory.refreshViews(current) }
        return directory
    }

    /// An existing run, for reading only (no lock: a running trainer may write to it meanwhile;
    /// the snapshot named by `current.json` stays complete until the one after it is current).
    public static func reading(_ url: URL) throws -> RunDirectory {
        let directory = RunDirectory(url, lock: nil)
        guard FileManager.default.fileExists(atPath: directory.config.path) || FileManager.default.fileExists(atPath: directory.pointer.path) else {
            throw RunDirectoryError.notARun(path: url.path)
        }
        return directory
    }

    // MARK: Snapshots

    /// The snapshot `current.json` names, or nil when none was saved yet.
    public func current() throws -> Snapshot? {
        guard FileManager.default.fileExists(atPath: pointer.path) else {
            // No pointer: before the first save. Snapshots without one mean it was lost.
            // A folder of a save killed before the switch is incomplete, and the initial weights
            // (step 0) are made again from config.json: neither counts as progress.
            let saved = ((try? entries(of: snapshots)) ?? []).filter { name in
                let folder = snapshots.appendingPathComponent(name)
                guard Int(name) != nil, Snapshot.files.allSatisfy({ FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }) else { return false }
                let state = try? RunDirectory.readJSON(TrainingState.self, from: folder.appendingPathComponent(Snapshot.state))
                return state.map { $0.globalStep > 0 } ?? true
            }
            if !saved.isEmpty {
                throw RunDirectoryError.corrupt(path: pointer.path, reason: "is missing, but \(snapshots.path) holds saved snapshots (\(saved.sorted().joined(separator: ", "))): restore current.json (it names the newest complete one, e.g. {\"sequence\": \(saved.compactMap { Int($0) }.max()!)}) rather than lose them")
            }
            return nil
        }
        let record = try RunDirectory.readJSON(Pointer.self, from: pointer, what: "snapshot pointer (current.json)")
        guard record.sequence > 0 else { throw RunDirectoryError.corrupt(path: pointer.path, reason: "snapshot number \(record.sequence) must be positive") }
        let snapshot = Snapshot(url: snapshots.appendingPathComponent(Snapshot.folderName(record.sequence)), sequence: record.sequence)
        guard RunDirectory.isDirectory(snapshot.url) else {
            throw RunDirectoryError.corrupt(path: pointer.path, reason: "names snapshot \(record.sequence), but \(snapshot.url.path) is missing")
        }
        return snapshot
    }

    /// Saves a new snapshot: `write` puts its files into the new folder (each written atomically),
    /// then the folder is flushed and made current in one rename. Older snapshots are removed.
    @discardableResult
    public func save(_ write: (Snapshot) throws -> Void) throws -> Snapshot {
        let previous = try current()
        let snapshot = Snapshot(url: snapshots.appendingPathComponent(Snapshot.folderName((previous?.sequence ?? 0) + 1)),
                                sequence: (previous?.sequence ?? 0) + 1)
        try RunDirectory.makeDirectory(snapshots)
        if FileManager.default.fileExists(atPath: snapshot.url.path) { try remove(snapshot.url) }  // left by a killed save
        try RunDirectory.makeDirectory(snapshot.url)
        do {
            try write(snapshot)
            try faultInjection?(.filesWritten)
            try RunDirectory.syncDirectory(snapshot.url)
            try RunDirectory.syncDirectory(snapshots)
            try faultInjection?(.beforeSwitch)
        } catch {
            try? remove(snapshot.url)
            throw error
        }
        try RunDirectory.writeJSON(Pointer(sequence: snapshot.sequence), to: pointer)
        try faultInjection?(.afterSwitch)
        try refreshViews(snapshot)
        try prune(keeping: [previous?.sequence, snapshot.sequence].compactMap { $0 })
        return snapshot
    }

    /// Links the views at the top of the directory to `snapshot`'s files (each replaced
    /// atomically); a view whose file the snapshot lacks is removed.
    private func refreshViews(_ snapshot: Snapshot) throws {
        for name in [Snapshot.model, Snapshot.best, Snapshot.metrics] {
            let source = snapshot.url.appendingPathComponent(name).path, target = url.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: source) else { unlink(target); continue }
            let temporary = url.appendingPathComponent(".\(name).link\(AtomicWrite.temporarySuffix)").path
            unlink(temporary)
            guard link(source, temporary) == 0, rename(temporary, target) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw RunDirectoryError.io(path: target, step: "link it to \(source)", reason: reason)
            }
            unlink(temporary)  // rename does nothing when both names are already the same file
        }
    }

    /// Removes every snapshot folder except those numbered `keeping`; anything else a user put
    /// in snapshots/ stays.
    private func prune(keeping: [Int]) throws {
        guard RunDirectory.isDirectory(snapshots) else { return }
        let keep = Set(keeping.map(Snapshot.folderName))
        for name in try entries(of: snapshots) where !keep.contains(name) && isSnapshot(name, in: snapshots) { try remove(snapshots.appendingPathComponent(name)) }
    }

    /// Whether `name` in `folder` is a snapshot folder (or the debris of a save): a number, or a
    /// temporary name, and not a run directory of its own.
    private func isSnapshot(_ name: String, in folder: URL) -> Bool {
        (!name.isEmpty && name.allSatisfy(\.isASCII) && name.allSatisfy(\.isNumber) || RunDirectory.isTemporary(name))
            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).appendingPathComponent("config.json").path)
    }

    /// The tasks of the run in `folder` (its model.yaml's heads; none when unreadable).
    private static func runTasks(in folder: URL) -> [String] {
        (try? ModelSpec.load(folder.appendingPathComponent("model.yaml")))?.heads.map(\.task) ?? []
    }

    /// Removes the files of the run in `folder` and nothing else: its top-level files, its
    /// snapshot folders and, for each of its tasks (`tasks`, else model.yaml's heads), the files of
    /// the baseline run `baselines/TASK` in turn. Folders left empty go (but `folder` itself with
    /// `keepingEmpty`).
    private func removeRunFiles(in folder: URL, tasks known: [String]? = nil, keepingEmpty: Bool = false) throws {
        let tasks = known ?? RunDirectory.runTasks(in: folder)
        for name in try entries(of: folder) where RunDirectory.runEntries.contains(name) || RunDirectory.isTemporary(name) {
            let item = folder.appendingPathComponent(name)
            switch name {
            case "snapshots": try removeContents(of: item) { self.isSnapshot($0, in: item) }
            case "baselines":
                guard RunDirectory.isDirectory(item) else { try remove(item); continue }
                for task in try entries(of: item) where tasks.contains(task) || RunDirectory.isTemporary(task) {
                    let baseline = item.appendingPathComponent(task)
                    if RunDirectory.isDirectory(baseline) && !RunDirectory.isTemporary(task) { try removeRunFiles(in: baseline) } else { try remove(baseline) }
                }
                if try entries(of: item).isEmpty { try remove(item) }
            case "lock" where folder == url: continue  // this run's own, held now
            default: try remove(item)
            }
        }
        if !keepingEmpty, try entries(of: folder).isEmpty { try remove(folder) }
    }

    /// Removes the entries of `folder` that `ours` accepts, then the folder if that left it empty.
    private func removeContents(of folder: URL, where ours: (String) -> Bool) throws {
        guard RunDirectory.isDirectory(folder) else { return try remove(folder) }
        for name in try entries(of: folder) where ours(name) { try remove(folder.appendingPathComponent(name)) }
        if try entries(of: folder).isEmpty { try remove(folder) }
    }

    /// Refuses `url` as the output of `what` (a ground truth, fine-tuning) when it is a training
    /// run's directory or lies in one: its files would mix with the run's.
    package static func refuseInsideRun(_ url: URL, for what: String) throws {
        guard let run = enclosingRun(url) else { return }
        let place = run.path == url.standardizedFileURL.path ? "is the training run directory" : "lies inside the training run directory \(run.path)"
        throw ConfigurationError("\(what): the output \(url.path) \(place); choose another directory")
    }

    /// The training run directory (config.json and model.yaml) that `url` is or lies in, if any.
    static func enclosingRun(_ url: URL) -> URL? {
        var folder = url.standardizedFileURL
        while true {
            let files = ["config.json", "model.yaml"].map { folder.appendingPathComponent($0).path }
            if files.allSatisfy(FileManager.default.fileExists) { return folder }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path || folder.path == "/" { return nil }
            folder = parent
        }
    }

    // MARK: Files

    /// Encodes `value` as pretty, key-sorted JSON and writes it atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        try AtomicWrite.write(try RunJSON.encoder(pretty: true).encode(value), to: url)
    }

    /// Reads JSON written by `writeJSON`; errors name the file and what was expected.
    public static func readJSON<T: Decodable>(_ type: T.Type, from url: URL, what: String? = nil) throws -> T {
        let bytes = try RegularFile.read(url)
        do { return try RunJSON.decoder().decode(type, from: bytes) } catch {
            throw RunDirectoryError.corrupt(path: url.path, reason: "not a valid \(what ?? DecodingProblem.name(type)) file (\(DecodingProblem.describe(error)))")
        }
    }

    private func entries() throws -> [String] { try entries(of: url) }

    private func entries(of folder: URL) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw RunDirectoryError.io(path: folder.path, step: "list the directory", reason: RegularFile.reason(error))
        }
    }

    private func remove(_ item: URL) throws {
        do { try FileManager.default.removeItem(at: item) } catch {
            throw RunDirectoryError.io(path: item.path, step: "remove it", reason: RegularFile.reason(error))
        }
    }

    /// Removes the temporary files of interrupted writes in `folder` and its snapshot folders.
    private func removeTemporaries(in folder: URL) throws {
        for name in try entries(of: folder) where RunDirectory.isTemporary(name) { try remove(folder.appendingPathComponent(name)) }
    }

    private static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.hasSuffix(AtomicWrite.temporarySuffix) }

    static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }

    /// Creates `url` and any missing parents with `mkdir(2)`, so a failure reads as the
    /// system's reason for the component that failed.
    static func makeDirectory(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        guard !path.isEmpty else { throw RunDirectoryError.io(path: url.path, step: "use it as a directory", reason: "the path is empty") }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw RunDirectoryError.io(path: path, step: "use it as a directory", reason: "it is \((info.st_mode & S_IFMT) == S_IFREG ? "a file" : FileContents.kind(info.st_mode))")
            }
            return
        }
        let parent = url.standardizedFileURL.deletingLastPathComponent()
        if parent.path != path { try makeDirectory(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw RunDirectoryError.io(path: path, step: "create the directory", reason: String(cString: strerror(errno)))
        }
    }

    /// Flushes a directory's entries (new files, renames) to disk.
    static func syncDirectory(_ url: URL) throws {
        let fd = Glibc.open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RunDirectoryError.io(path: url.path, step: "open the directory to flush it", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RunDirectoryError.io(path: url.path, step: "flush the directory", reason: String(cString: strerror(errno))) }
    }

    private struct Pointer: Codable { var sequence: Int }
}

/// One saved step of a run: a folder of files written together.
public struct Snapshot: Sendable, Equatable {
    public let url: URL
    /// The snapshot's number; each save takes the next.
    public let sequence: Int

    static let model = "last.safetensors", best = "best.safetensors", metrics = "metrics.jsonl"
    static let optimizer = "optimizer.safetensors", state = "state.json"
    /// The files every complete snapshot has (`best` only once a validation has scored).
    static let files = [model, optimizer, state, metrics]

    /// The weights at this step.
    public var modelFile: URL { url.appendingPathComponent(Snapshot.model) }
    /// The weights of the best validation epoch so far (absent before the first validation).
    public var bestFile: URL { url.appendingPathComponent(Snapshot.best) }
    public var optimizerFile: URL { url.appendingPathComponent(Snapshot.optimizer) }
    public var stateFile: URL { url.appendingPathComponent(Snapshot.state) }
    public var metricsFile: URL { url.appendingPathComponent(Snapshot.metrics) }

    static func folderName(_ sequence: Int) -> String { String(format: "%08d", sequence) }

    /// Makes `name` in this snapshot the same file as `source` (a hard link: no copy).
    func link(_ name: String, to source: URL) throws {
        let target = url.appendingPathComponent(name).path
        guard Glibc.link(source.path, target) == 0 else {
            throw RunDirectoryError.io(path: target, step: "link it to \(source.path)", reason: String(cString: strerror(errno)))
        }
    }
}
