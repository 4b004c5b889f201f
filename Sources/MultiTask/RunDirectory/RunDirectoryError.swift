import Foundation

/// Why a run directory cannot be created, opened or read; every case names the path.
public enum RunDirectoryError: Error, Equatable, CustomStringConvertible {
    /// Another process holds the directory's lock.
    case inUse(path: String, pid: Int32?)
    /// A new run was asked for in a directory that holds a run.
    case holdsARun(path: String)
    /// A new run was asked for in a directory with files that are not a run's.
    case notEmpty(path: String, entries: [String])
    /// `--resume` on a directory without a run.
    case noRun(path: String)
    /// Reading a run from a directory (or path) that holds none.
    case notARun(path: String)
    /// A file of the run is missing, unreadable or disagrees with the others.
    case corrupt(path: String, reason: String)
    /// A system call failed.
    case io(path: String, step: String, reason: String)

    public var description: String {
        switch self {
        case .inUse(let path, let pid):
            "\(path) is in use by \(pid.map { "process \($0)" } ?? "another process") (it holds \(path)/lock): wait for it to finish, or stop it"
        case .holdsARun(let path):
            "\(path) holds another run: continue it with --resume, replace it with --overwrite, or choose another directory"
        case .notEmpty(let path, let entries):
            "\(path) is not empty and not a run directory (it has \(entries.prefix(5).joined(separator: ", "))\(entries.count > 5 ? ", ..." : "")): choose another directory, or --overwrite to replace only the files of a run there"
        case .noRun(let path):
            "\(path) holds no run to resume (no config.json): start one without --resume"
        case .notARun(let path):
            FileManager.default.fileExists(atPath: path) ? "\(path) is not a run directory (it has no config.json)" : "\(path) does not exist"
        case .corrupt(let path, let reason):
            "\(path): \(reason)"
        case .io(let path, let step, let reason):
            "\(path): cannot \(step): \(reason)"
        }
    }
}
