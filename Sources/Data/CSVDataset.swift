import Foundation
import Tensors

/// CSV tables as datasets: feature columns plus one label column per task, so tabular
/// multi-task problems load without code.
public enum CSVDataset {
    /// Loads the CSV file at `url` (header row required). Label columns are those named in
    /// `tasks`, or, when it is nil, those headed `task:<name>`, `task:<name>:<kind>` (kind
    /// `multiclass`, `binary` or `regression`) or `task:<name>:multiclass:<classes>`; every other
    /// column is a `Float` feature. Multiclass without a count has `max label + 1` classes; a bare
    /// `task:<name>` is binary if all labels are 0/1, multiclass if all are non-negative integers,
    /// else regression (but class indices with a stray few others is an error: a slip, not a
    /// regression target). An empty label cell is missing (NaN); an empty or non-numeric feature cell
    /// is an error naming file, line and column (the 1-based field number). Inputs are `[N, features]`;
    /// the name defaults to the file name without extension.
    public static func load(_ url: URL, tasks: [String: TaskKind]? = nil, name: String? = nil) throws -> Dataset {
        let path = url.path
        let records = try CSVReader.records(try FileBytes.read(url), path: path)
        guard let headerRecord = records.first else {
            throw DataError.malformedCSV(path: path, line: 1, column: 0, reason: "the file is empty; a header row is required")
        }
        let header = try CSVHeader(headerRecord, tasks: tasks, path: path)
        let rows = records.dropFirst()
        var features: [Float] = []
        features.reserveCapacity(rows.count * header.featureColumns.count)
        var columns = [[Float]](repeating: [], count: header.labelColumns.count)
        var lines: [Int] = []
        lines.reserveCapacity(rows.count)
        for record in rows {
            lines.append(record.line)
            guard record.fields.count == header.names.count else {
                throw DataError.malformedCSV(
                    path: path, line: record.line, column: 0,
                    reason: "expected \(header.names.count) fields like the header, found \(record.fields.count)")
            }
            for column in header.featureColumns {
                features.append(try feature(record, column: column, header: header, path: path))
            }
            for (k, label) in header.labelColumns.enumerated() {
                columns[k].append(try labelValue(record, label: label, path: path))
            }
        }
        var taskInfos: [TaskInfo] = []
        var labels: [String: Tensor] = [:]
        for (label, values) in zip(header.labelColumns, columns) {
            let kind = try resolvedKind(label, values: values, lines: lines, path: path)
            let summary = "column \(label.column + 1) ('\(header.names[label.column])') of \(url.lastPathComponent)"
            taskInfos.append(TaskInfo(name: label.task, kind: kind, summary: summary))
            labels[label.task] = Tensor(shape: [values.count], scalars: values)
        }
        let inputs = Tensor(shape: [rows.count, header.featureColumns.count], scalars: features)
        var dataset = try Dataset(name: name ?? url.deletingPathExtension().lastPathComponent, inputs: inputs, tasks: taskInfos, labels: labels)
        dataset.featureNames = header.featureColumns.map { header.names[$0] }
        return dataset
    }

    /// The finite number in a feature cell, or an error naming the cell.
    private static func feature(_ record: CSVRecord, column: Int, header: CSVHeader, path: String) throws -> Float {
        let text = record.fields[column].trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            throw DataError.malformedCSV(
                path: path, line: record.line, column: column + 1, reason: "empty cell in feature column '\(header.names[column])'")
        }
        guard let value = decimal(text), value.isFinite else {
            throw DataError.malformedCSV(
                path: path, line: record.line, column: column + 1,
                reason: "'\(text)' in feature column '\(header.names[column])' is not a finite number")
        }
        return value
    }

    /// The label in a cell (NaN when empty), checked against what is known of the task's kind.
    private static func labelValue(_ record: CSVRecord, label: CSVHeader.LabelColumn, path: String) throws -> Float {
        let text = record.fields[label.column].trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return .nan }
        func fail(_ reason: String) -> DataError {
            DataError.malformedCSV(path: path, line: record.line, column: label.column + 1, reason: "task '\(label.task)': \(reason)")
        }
        guard let value = decimal(text), value.isFinite else { throw fail("label '\(text)' is not a finite decimal number") }
        let problem: String?
        switch label.kind {
        case .exact(let kind):
            problem = LabelCheck.invalidity(of: value, kind: kind)
        case .multiclassInferred:
            problem = isClassIndex(value) ? nil : "label \(value) is not a class index (a non-negative integer below 2^24)"
        case .inferred:
            problem = nil
        }
        if let problem { throw fail(problem) }
        return value
    }

    /// Whether `value` can be a class index: a non-negative integer small enough to be exact in `Float`.
    private static func isClassIndex(_ value: Float) -> Bool {
        value >= 0 && value < 0x1p24 && value.rounded(.towardZero) == value
    }

    /// The task kind, inferring what the header left open from the labels present.
    private static func resolvedKind(_ label: CSVHeader.LabelColumn, values: [Float], lines: [Int], path: String) throws -> TaskKind {
        let present = values.filter { !$0.isNaN }
        switch label.kind {
        case .exact(let kind):
            return kind
        case .multiclassInferred:
            guard let largest = present.max() else {
                throw DataError.malformedCSV(
                    path: path, line: 1, column: label.column + 1,
                    reason: "task '\(label.task)' has no labels to infer its class count from; declare task:<name>:multiclass:<classes>")
            }
            try checkDense(label, values: values, lines: lines, largest: largest, path: path)
            return .multiclass(classes: Int(largest) + 1)
        case .inferred:
            if present.allSatisfy({ $0 == 0 || $0 == 1 }) { return .binary }
            if present.allSatisfy(isClassIndex), let largest = present.max() {
                try checkDense(label, values: values, lines: lines, largest: largest, path: path)
                return .multiclass(classes: Int(largest) + 1)
            }
            // Class indices but for a stray few (a -1, a 0.5): more likely a slip than a
            // regression target, and the kind would flip silently; the header must say which.
            let strays = values.indices.filter { !values[$0].isNaN && !isClassIndex(values[$0]) }
            if present.count >= 20, strays.count <= Swift.max(1, present.count / 100), Set(present.filter(isClassIndex)).count <= 100 {
                let first = strays[0]
                throw DataError.malformedCSV(
                    path: path, line: lines[first], column: label.column + 1,
                    reason: "task '\(label.task)': label \(values[first]) is not a class index, while \(present.count - strays.count) of its \(present.count) labels are; fix \(strays.count == 1 ? "it" : "the \(strays.count) such labels"), or head the column task:\(label.task):regression if the task is a regression")
            }
            return .regression
        }
    }

    /// An inferred class count (largest label + 1) far above the labels present — 0, 1, 2 and one
    /// 1000000 — is a stray label, not a million-way head (memory, and metrics of 0); the header
    /// must give the count to mean it.
    private static func checkDense(_ label: CSVHeader.LabelColumn, values: [Float], lines: [Int], largest: Float, path: String) throws {
        let classes = Int(largest) + 1, distinct = Set(values.filter { !$0.isNaN }).count
        guard classes > 1000, classes > 10 * distinct, let at = values.firstIndex(of: largest) else { return }
        throw DataError.malformedCSV(
            path: path, line: lines[at], column: label.column + 1,
            reason: "task '\(label.task)': label \(Int(largest)) would make \(classes) classes, but only \(distinct) distinct labels are present; fix it, or head the column task:\(label.task):multiclass:\(classes) to mean it")
    }

    /// A decimal number as CSV writers print them (`-1.5`, `2e-3`); not Swift's hexadecimal
    /// floats (`0x1p3`), which no table means.
    private static func decimal(_ text: String) -> Float? {
        text.contains(where: { $0 == "x" || $0 == "X" || $0 == "p" || $0 == "P" }) ? nil : Float(text)
    }
}
