import Foundation

/// Which CSV columns are labels and what kind each task is, read from the caller's task map or
/// from `task:<name>[:<kind>]` headers.
struct CSVHeader {
    /// How much of a label column's kind is known before its values are read.
    enum KindSpec: Equatable {
        /// Fully given.
        case exact(TaskKind)
        /// Multiclass with the class count inferred as the largest label plus one.
        case multiclassInferred
        /// Inferred from the values: all 0/1 → binary, all non-negative integers → multiclass, else regression.
        case inferred
    }

    /// A label column.
    struct LabelColumn {
        /// The 0-based column index.
        var column: Int
        /// The task name.
        var task: String
        /// What is known of the task's kind.
        var kind: KindSpec
    }

    /// The trimmed column names.
    var names: [String]
    /// The label columns, in column order.
    var labelColumns: [LabelColumn]
    /// The 0-based indices of the feature columns, in column order.
    var featureColumns: [Int]

    /// Reads the header `record`, taking label columns from `tasks` when given (each must name a
    /// column) and otherwise from `task:` headers; `path` names the file in errors.
    init(_ record: CSVRecord, tasks: [String: TaskKind]?, path: String) throws {
        names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen: [String: Int] = [:]
        for (column, name) in names.enumerated() {
            if name.isEmpty {
                throw DataError.malformedCSV(path: path, line: record.line, column: column + 1,
                                             reason: "column \(column + 1) has no name (pandas writes its index so: save with index=False, or name the column)")
            }
            if name.contains("\u{FFFD}") {
                throw DataError.malformedCSV(path: path, line: record.line, column: column + 1, reason: "the header is not UTF-8 text")
            }
            if let first = seen[name] {
                throw DataError.malformedCSV(
                    path: path, line: record.line, column: column + 1, reason: "column name '\(name)' repeats column \(first + 1)")
            }
            seen[name] = column
        }
        if let tasks {
            if let (task, problem) = tasks.keys.sorted().lazy.compactMap({ name in TaskName.problem(name).map { (name, $0) } }).first {
                throw DataError.malformedCSV(path: path, line: record.line, column: 0, reason: "task '\(task)': \(problem)")
            }
            for task in tasks.keys.sorted() where seen[task] == nil {
                throw DataError.malformedCSV(
                    path: path, line: record.line, column: 0,
                    reason: "no column named '\(task)' for that task; columns: \(names.joined(separator: ", "))")
            }
            labelColumns = names.enumerated().compactMap { column, name in
                tasks[name].map { LabelColumn(column: column, task: name, kind: .exact($0)) }
            }
        } else {
            labelColumns = try names.enumerated().compactMap { column, name in
                try Self.declaredTask(name, column: column, line: record.line, path: path)
            }
            var taskColumns: [String: Int] = [:]
            for label in labelColumns {
                if let first = taskColumns[label.task] {
                    throw DataError.malformedCSV(
                        path: path, line: record.line, column: label.column + 1,
                        reason: "task '\(label.task)' is already declared by column \(first + 1)")
                }
                taskColumns[label.task] = label.column
            }
        }
        let labelSet = Set(labelColumns.map(\.column))
        featureColumns = names.indices.filter { !labelSet.contains($0) }
        if labelColumns.isEmpty {
            let nearly = names.filter { $0.lowercased().hasPrefix("task:") }
            throw DataError.malformedCSV(path: path, line: record.line, column: 0, reason: "no label column: head each task's column task:<name> (e.g. task:price:regression)"
                                         + (nearly.isEmpty ? "" : "; 'task:' is lower case, so \(nearly.prefix(3).map { "'\($0)'" }.joined(separator: ", ")) read as features"))
        }
        if featureColumns.isEmpty {
            throw DataError.malformedCSV(path: path, line: record.line, column: 0, reason: "no feature column: every column is a task's label (\(names.joined(separator: ", ")))")
        }
    }

    /// The task a `task:<name>`, `task:<name>:<kind>` or `task:<name>:multiclass:<classes>`
    /// header declares, or nil for a feature header.
    private static func declaredTask(_ header: String, column: Int, line: Int, path: String) throws -> LabelColumn? {
        let parts = header.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "task" else { return nil }
        func fail(_ reason: String) -> DataError {
            DataError.malformedCSV(path: path, line: line, column: column + 1, reason: "header '\(header)': \(reason)")
        }
        let name = parts[1]
        if let problem = TaskName.problem(name) { throw fail(problem) }
        switch Array(parts.dropFirst(2)) {
        case []:
            return LabelColumn(column: column, task: name, kind: .inferred)
        case ["binary"]:
            return LabelColumn(column: column, task: name, kind: .exact(.binary))
        case ["regression"]:
            return LabelColumn(column: column, task: name, kind: .exact(.regression))
        case ["multiclass"]:
            return LabelColumn(column: column, task: name, kind: .multiclassInferred)
        case let rest where rest.count == 2 && rest[0] == "multiclass":
            guard let classes = Int(rest[1]), classes >= 1 else {
                let digits = !rest[1].isEmpty && rest[1].allSatisfy { $0.isASCII && $0.isNumber }
                throw fail(digits ? "\(rest[1]) classes is more than \(LabelCheck.maximumClasses) (2^24), the most supported"
                                  : "'\(rest[1])' is not a positive class count")
            }
            if let problem = LabelCheck.classCountProblem(classes) { throw fail(problem) }
            return LabelColumn(column: column, task: name, kind: .exact(.multiclass(classes: classes)))
        default:
            throw fail("expected task:<name>, task:<name>:<kind> with kind multiclass, binary or regression, or task:<name>:multiclass:<classes>")
        }
    }
}
