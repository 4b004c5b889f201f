import Files
import Foundation

/// Pairwise task relationships from one estimator, with everything needed to read them right.
///
/// Orientation: in `.sourceToTarget` (the convention here), `values[i][j]` is the effect of task
/// i's update on task j — row = source, column = target. `transposed()` gives `.targetFromSource`,
/// "onto row from column", the orientation of TAG's published matrices. `value(from:to:)` reads
/// either correctly.
public struct AffinityMatrix: Sendable, Equatable, Codable {
    public enum Orientation: String, Sendable, Codable {
        /// `values[i][j]`: effect of task i (row) on task j (column).
        case sourceToTarget = "row-source-column-target"
        /// `values[i][j]`: effect onto task i (row) from task j (column).
        case targetFromSource = "row-target-column-source"
    }

    public var tasks: [String]
    public var values: [[Double]]
    /// The estimator (`tag`, `first-order`, `cosine`, ...).
    public var method: String
    /// The estimator's settings, as text (`every: 10`, `divide-by-lr: false`, ...).
    public var settings: [String: String]
    /// The training steps (0-based) it was sampled at.
    public var steps: [Int]
    /// Seconds spent estimating (beyond training).
    public var seconds: Double
    public var orientation: Orientation
    /// The values are losses (pairwise training): lower is better. Nil or false: affinities.
    public var lowerIsBetter: Bool?
    /// CPU seconds (every thread's) of all the compute behind the matrix, training included (nil:
    /// not recorded), to compare estimators' costs whatever else the machine ran.
    public var computeSeconds: Double?

    public init(tasks: [String], values: [[Double]], method: String, settings: [String: String] = [:], steps: [Int] = [],
                seconds: Double = 0, orientation: Orientation = .sourceToTarget, lowerIsBetter: Bool? = nil, computeSeconds: Double? = nil) {
        (self.tasks, self.values, self.method, self.settings) = (tasks, values, method, settings)
        (self.steps, self.seconds, self.orientation) = (steps, seconds, orientation)
        (self.lowerIsBetter, self.computeSeconds) = (lowerIsBetter, computeSeconds)
    }

    /// The same relationships in the other orientation.
    public func transposed() -> AffinityMatrix {
        var copy = self
        copy.values = tasks.indices.map { i in tasks.indices.map { j in values[j][i] } }
        copy.orientation = orientation == .sourceToTarget ? .targetFromSource : .sourceToTarget
        return copy
    }

    /// The effect of task `source` on task `target`, whatever the orientation.
    public func value(from source: String, to target: String) -> Double? {
        guard let i = tasks.firstIndex(of: source), let j = tasks.firstIndex(of: target) else { return nil }
        return orientation == .sourceToTarget ? values[i][j] : values[j][i]
    }

    /// Checks the shape: a name per row and column, unique names, finite-or-NaN numbers.
    public func validate(source: String) throws {
        guard Set(tasks).count == tasks.count, !tasks.isEmpty else { throw ConfigurationError("\(source): task names must be unique and present, got \(tasks)") }
        guard values.count == tasks.count, values.allSatisfy({ $0.count == tasks.count }) else {
            throw ConfigurationError("\(source): expected a \(tasks.count)×\(tasks.count) matrix for the tasks \(tasks.joined(separator: ", "))")
        }
        if let bad = values.joined().first(where: { $0.isInfinite || Swift.abs($0) > 1e100 }) {
            throw ConfigurationError("\(source): the value \(bad) is out of range (finite numbers up to 1e100 in magnitude, or NaN where there is none)")
        }
        if let seconds = computeSeconds, !(seconds.isFinite && seconds >= 0) {
            throw ConfigurationError("\(source): computeSeconds must be a number of seconds ≥ 0, got \(seconds)")
        }
    }

    // MARK: Files

    /// `affinity.json`: the whole record.
    public func writeJSON(to url: URL) throws {
        try AtomicWrite.write(try RunJSON.encoder(pretty: true).encode(self), to: url)
    }

    public static func readJSON(from url: URL) throws -> AffinityMatrix {
        let matrix: AffinityMatrix
        do { matrix = try RunJSON.decoder().decode(AffinityMatrix.self, from: try RegularFile.read(url)) } catch let error as DecodingError {
            throw ConfigurationError("\(url.path): not an affinity matrix (\(DecodingProblem.describe(error)))")
        }
        try matrix.validate(source: url.path)
        return matrix
    }

    /// A CSV: a header `source\target,a,b,...` (or `target\source,...`), then one row per task.
    public var csv: String {
        let corner = orientation == .sourceToTarget ? "source\\target" : "target\\source"
        let rows = tasks.indices.map { i in ([tasks[i]] + values[i].map { "\($0)" }).joined(separator: ",") }
        return ([([corner] + tasks).joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    /// Reads `csv`'s layout; `method` names the estimator for the record.
    public static func parse(csv text: String, method: String, source: String) throws -> AffinityMatrix {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        guard let header = lines.first, header.count >= 2 else { throw ConfigurationError("\(source): expected a header row 'source\\target,TASK,...'") }
        let orientation: Orientation
        switch header[0] {
        case "source\\target": orientation = .sourceToTarget
        case "target\\source": orientation = .targetFromSource
        default: throw ConfigurationError("\(source): the first header cell must be 'source\\target' or 'target\\source' (the orientation), found '\(header[0])'")
        }
        let tasks = Array(header.dropFirst())
        guard lines.count == tasks.count + 1 else { throw ConfigurationError("\(source): expected \(tasks.count) rows after the header, found \(lines.count - 1)") }
        var values: [[Double]] = []
        for (k, row) in lines.dropFirst().enumerated() {
            guard row.count == tasks.count + 1, row[0] == tasks[k] else {
                throw ConfigurationError("\(source): line \(k + 2) must start with '\(tasks[k])' and hold \(tasks.count) numbers")
            }
            values.append(try row.dropFirst().enumerated().map { column, cell in
                guard let value = Double(cell) else { throw ConfigurationError("\(source): line \(k + 2), column \(column + 2): '\(cell)' is not a number") }
                return value
            })
        }
        let matrix = AffinityMatrix(tasks: tasks, values: values, method: method, orientation: orientation)
        try matrix.validate(source: source)
        return matrix
    }
}
