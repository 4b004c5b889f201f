/// What went wrong while reading or assembling data, naming the file (with line and column where
/// there is one) or the dataset and task, and what was expected, so a message alone locates the fault.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, I/O error, a directory, ...).
    case unreadable(path: String, reason: String)
    /// The file starts like gzip but does not inflate cleanly (corrupt or truncated stream).
    case corruptGzip(path: String, reason: String)
    /// The first bytes are not an IDX magic number (`00 00 <type> <rank>`).
    case badMagic(path: String, found: [UInt8])
    /// The IDX element type is valid but not unsigned bytes (`0x08`), the only one supported.
    case unsupportedIDXType(path: String, typeCode: UInt8)
    /// The IDX header promises a different number of bytes than the file holds.
    case sizeMismatch(path: String, expectedBytes: Int, actualBytes: Int)
    /// A file parsed but its contents are not what its reader expects (wrong shape, bad label, ...).
    case invalidContents(path: String, reason: String)
    /// A CSV cell or row is malformed; `line` and `column` are 1-based (`column` 0 means the whole row).
    case malformedCSV(path: String, line: Int, column: Int, reason: String)
    /// A dataset's inputs or a task's labels are inconsistent; `task` is empty when no task is at fault.
    case invalidDataset(dataset: String, task: String, reason: String)
    /// A task name that the dataset does not have.
    case unknownTask(String, known: [String])
    /// A task-suite name that `TaskSuite` does not provide.
    case unknownSuite(String, known: [String])

    /// The file the error is about, if it is about a file.
    public var path: String? {
        switch self {
        case .fileNotFound(let path), .unreadable(let path, _), .corruptGzip(let path, _), .badMagic(let path, _),
             .unsupportedIDXType(let path, _), .sizeMismatch(let path, _, _), .invalidContents(let path, _),
             .malformedCSV(let path, _, _, _):
            return path
        case .invalidDataset, .unknownTask, .unknownSuite:
            return nil
        }
    }

    /// A one-line message: the file (with `:line:column`) or dataset and task, then the problem.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip data: \(reason)"
        case .badMagic(let path, let found):
            let hex = found.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "\(path): not an IDX file: magic bytes [\(hex)], expected 00 00 <type> <rank>"
        case .unsupportedIDXType(let path, let code):
            return "\(path): IDX element type 0x\(String(code, radix: 16).leftPadded(to: 2)) is not supported; expected 0x08 (unsigned bytes)"
        case .sizeMismatch(let path, let expected, let actual):
            return "\(path): IDX header describes \(expected) bytes but the file holds \(actual)"
        case .invalidContents(let path, let reason):
            return "\(path): \(reason)"
        case .malformedCSV(let path, let line, let column, let reason):
            return column > 0 ? "\(path):\(line):\(column): \(reason)" : "\(path):\(line): \(reason)"
        case .invalidDataset(let dataset, let task, let reason):
            return task.isEmpty ? "dataset '\(dataset)': \(reason)" : "dataset '\(dataset)', task '\(task)': \(reason)"
        case .unknownTask(let name, let known):
            return "unknown task '\(name)'; known tasks: \(known.joined(separator: ", "))"
        case .unknownSuite(let name, let known):
            return "unknown task suite '\(name)'; known suites: \(known.joined(separator: ", "))"
        }
    }
}

extension String {
    /// The string with leading zeros added up to `width` characters (for hex bytes).
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
