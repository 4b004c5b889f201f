import Data
import Foundation

/// Where candidate groups and their per-task scores come from: a pairwise matrix (every subset,
/// scored from its pairs), Standley's result files, a CSV table, or a membership matrix with a
/// matrix of values (MTG-Net's gain files). Errors name the file, line and column.
public enum CandidateTables {
    /// How single-task groups are scored when groups are built from a pairwise matrix.
    public enum Singletons: Sendable, Equatable {
        /// Not candidates (TAG's choice for affinities, which say nothing about a task alone).
        case forbidden
        /// The matrix's diagonal (HOA from pairwise training: a task's single-task loss).
        case diagonal
        /// A fixed score.
        case score(Double)
    }

    /// Every group of 1 to `maxSize` tasks (all sizes by default, up to 20 tasks), each member a
    /// scoring the mean over the other members b of the matrix's value onto a from b
    /// (`value(from: b, to: a)`): TAG's network-selection input from an affinity matrix, and HOA's
    /// from a matrix of pairwise-training losses (M[a][b] = loss of a trained with b, stored
    /// target-from-source).
    public static func fromPairs(_ matrix: AffinityMatrix, singletons: Singletons, maxSize: Int? = nil) throws -> [CandidateGroup] {
        let n = matrix.tasks.count
        let largest = Swift.min(maxSize ?? n, n)
        guard largest >= 1 else { throw ConfigurationError("groups: the largest group size must be at least 1, got \(maxSize ?? 0)") }
        // At most 200,000 candidates are scored; the largest group size that keeps within it.
        let count = (1...largest).reduce(0.0) { $0 + binomial(n, $1) }
        guard count <= 200_000 else {
            let fits = (1...n).last { k in (1...k).reduce(0.0) { $0 + binomial(n, $1) } <= 200_000 } ?? 1
            throw ConfigurationError("groups: \(n) tasks have \(count >= 1e15 ? "more than 10^15" : "\(Int(count))") candidate groups of up to \(largest) tasks, and at most 200,000 are scored; give a largest group size of at most \(fits)")
        }
        var onto = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for a in 0..<n {
            for b in 0..<n {
                let v = matrix.orientation == .sourceToTarget ? matrix.values[b][a] : matrix.values[a][b]
                guard v.isFinite || a == b else { throw ConfigurationError("groups: the \(matrix.method) matrix has no finite value from '\(matrix.tasks[b])' to '\(matrix.tasks[a])' (\(v))") }
                onto[a][b] = v
            }
        }
        if case .diagonal = singletons, let bad = (0..<n).first(where: { !onto[$0][$0].isFinite }) {
            throw ConfigurationError("groups: the diagonal value of '\(matrix.tasks[bad])' is \(onto[bad][bad]), not a finite number")
        }
        var groups: [CandidateGroup] = []
        func extend(_ members: [Int], from next: Int) {
            if !members.isEmpty {
                if members.count == 1 {
                    switch singletons {
                    case .forbidden: break
                    case .diagonal: groups.append(CandidateGroup(members: members, scores: [onto[members[0]][members[0]]]))
                    case .score(let s): groups.append(CandidateGroup(members: members, scores: [s]))
                    }
                } else {
                    let scores = members.map { a in members.reduce(0.0) { $0 + ($1 == a ? 0 : onto[a][$1]) } / Double(members.count - 1) }
                    groups.append(CandidateGroup(members: members, scores: scores))
                }
            }
            guard members.count < largest else { return }
            for t in next..<n { extend(members + [t], from: t + 1) }
        }
        extend([], from: 0)
        return groups
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
    }

    /// Standley et al.'s result files: tab-separated, one network per line, an empty cell where
    /// the network does not serve the task; line 1 holds the half-size single-task networks
    /// (cost 0.5), every other line one full-size network (cost 1). The files have no header:
    /// task names are given, or `task1`, `task2`, ... by column.
    public static func standley(_ url: URL, tasks names: [String]? = nil) throws -> (tasks: [String], candidates: [CandidateGroup]) {
        let rows = try cells(url, separator: "\t")
        guard let width = rows.first?.count else { throw ConfigurationError("\(url.path): no networks (expected Standley's tab-separated losses)") }
        let tasks = names ?? (1...width).map { "task\($0)" }
        let candidates = try rows.enumerated().map { line, row in
            guard row.count == tasks.count else {
                throw ConfigurationError("\(url.path), line \(line + 1): \(row.count) columns, expected \(tasks.count) (\(tasks.joined(separator: ", ")))")
            }
            let (members, scores) = try numbers(row, url: url, line: line)
            guard !members.isEmpty else { throw ConfigurationError("\(url.path), line \(line + 1): the network serves no task") }
            if line == 0 {
                return members.map { CandidateGroup(members: [$0], scores: [scores[members.firstIndex(of: $0)!]], cost: 0.5, label: "half-size") }
            }
            return [CandidateGroup(members: members, scores: scores)]
        }.flatMap { $0 }
        return (tasks, candidates)
    }

    /// A CSV table: a header of task names (and optionally a `cost` column), then one candidate
    /// per row with a number in each member's column and an empty cell for a non-member.
    public static func csv(_ url: URL) throws -> (tasks: [String], candidates: [CandidateGroup]) {
        let rows = try cells(url, separator: ",")
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            throw ConfigurationError("\(url.path): empty (expected a header of task names, then one row per candidate group)")
        }
        let costColumn = header.firstIndex(of: "cost")
        let taskColumns = header.indices.filter { $0 != costColumn }
        let tasks = taskColumns.map { header[$0] }
        if let blank = tasks.firstIndex(where: \.isEmpty) { throw ConfigurationError("\(url.path), line 1: column \(taskColumns[blank] + 1) has no task name") }
        if let twice = tasks.first(where: { name in tasks.filter { $0 == name }.count > 1 }) { throw ConfigurationError("\(url.path), line 1: task '\(twice)' appears twice") }
        guard !tasks.isEmpty else { throw ConfigurationError("\(url.path), line 1: no task columns") }
        guard rows.count > 1 else { throw ConfigurationError("\(url.path): no candidate groups after the header") }
        let candidates = try rows.enumerated().dropFirst().map { line, row -> CandidateGroup in
            guard row.count == header.count else { throw ConfigurationError("\(url.path), line \(line + 1): \(row.count) cells, expected \(header.count) as in the header") }
            let (members, scores) = try numbers(taskColumns.map { row[$0] }, url: url, line: line, names: tasks)
            guard !members.isEmpty else { throw ConfigurationError("\(url.path), line \(line + 1): the group has no member (every task cell is empty)") }
            var cost = 1.0
            if let costColumn {
                let text = row[costColumn].trimmingCharacters(in: .whitespaces)
                guard let value = Double(text), value > 0, value.isFinite else {
                    throw ConfigurationError("\(url.path), line \(line + 1), column cost: '\(text)' is not a positive number")
                }
                cost = value
            }
            return CandidateGroup(members: members, scores: scores, cost: cost)
        }
        return (tasks, candidates)
    }

    /// Candidates from a 0/1 membership matrix and a matrix of values with the same rows (the
    /// value in a non-member's column is ignored), as MTG-Net's gain files hold them.
    public static func membership(_ membership: URL, values: URL, tasks: [String]? = nil) throws -> (tasks: [String], candidates: [CandidateGroup]) {
        let x = try grid(membership), y = try grid(values)
        guard let width = x.first?.count, width > 0 else { throw ConfigurationError("\(membership.path): empty (expected one 0/1 row per candidate group)") }
        guard x.count == y.count else { throw ConfigurationError("\(values.path): \(y.count) rows, but \(membership.path) has \(x.count)") }
        let names = tasks ?? (0..<width).map { "\($0)" }
        guard names.count == width else { throw ConfigurationError("\(membership.path): \(width) task columns, but \(names.count) task names were given") }
        let candidates = try zip(x, y).enumerated().map { line, pair -> CandidateGroup in
            let (row, value) = pair
            guard row.count == width, value.count == width else {
                throw ConfigurationError("\(row.count != width ? membership.path : values.path), line \(line + 1): expected \(width) numbers")
            }
            guard row.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw ConfigurationError("\(membership.path), line \(line + 1): memberships must be 0 or 1, got \(row)") }
            let members = row.indices.filter { row[$0] == 1 }
            guard !members.isEmpty else { throw ConfigurationError("\(membership.path), line \(line + 1): the group has no member") }
            if let bad = members.first(where: { !value[$0].isFinite }) { throw ConfigurationError("\(values.path), line \(line + 1), column \(bad + 1): not a finite number") }
            return CandidateGroup(members: members, scores: members.map { value[$0] })
        }
        return (names, candidates)
    }

    /// Standley's higher-order approximation: a group of three or more tasks scores, on each
    /// member a, the mean over the other members b of the pair network {a, b}'s score on a.
    /// Single tasks and pairs keep their scores; a missing pair is an error naming it.
    public static func higherOrderApproximation(_ candidates: [CandidateGroup], tasks: [String]) throws -> [CandidateGroup] {
        var pairs: [[Int]: CandidateGroup] = [:]
        for c in candidates where c.members.count == 2 && c.cost == 1 { pairs[c.members] = c }
        return try candidates.map { c in
            guard c.members.count >= 3 else { return c }
            var copy = c
            copy.scores = try c.members.map { a in
                try c.members.filter { $0 != a }.reduce(0.0) { sum, b in
                    guard let pair = pairs[[Swift.min(a, b), Swift.max(a, b)]], let s = pair.score(of: a) else {
                        throw ConfigurationError("HOA needs the pair network {\(tasks[Swift.min(a, b)]), \(tasks[Swift.max(a, b)])}, which the table lacks")
                    }
                    return sum + s
                } / Double(c.members.count - 1)
            }
            return copy
        }
    }

    // MARK: Reading

    /// The file as UTF-8 text (read by `FileBytes`, whose errors name the file).
    static func text(_ url: URL) throws -> String {
        guard let text = String(validating: try FileBytes.read(url), as: UTF8.self) else { throw ConfigurationError("\(url.path): not UTF-8 text") }
        return text
    }

    /// The file's lines, a trailing empty line ignored; "\r\n" is one Character in Swift, so
    /// both line ends split.
    static func lines(_ url: URL) throws -> [Substring] {
        var lines = try text(url).split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// The file's lines split into cells.
    static func cells(_ url: URL, separator: Character) throws -> [[String]] {
        try lines(url).map { $0.split(separator: separator, omittingEmptySubsequences: false).map(String.init) }
    }

    /// A grid of numbers separated by commas or white space.
    static func grid(_ url: URL) throws -> [[Double]] {
        try lines(url).enumerated().map { line, text in
            try text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).enumerated().map { column, cell in
                guard let value = Double(cell) else { throw ConfigurationError("\(url.path), line \(line + 1), column \(column + 1): '\(cell)' is not a number") }
                return value
            }
        }
    }

    /// The filled cells of a row as members and their scores.
    private static func numbers(_ row: [String], url: URL, line: Int, names: [String]? = nil) throws -> (members: [Int], scores: [Double]) {
        var members: [Int] = [], scores: [Double] = []
        for (column, cell) in row.enumerated() {
            let text = cell.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            guard let value = Double(text), value.isFinite else {
                throw ConfigurationError("\(url.path), line \(line + 1), column \(names.map { "'\($0[column])'" } ?? "\(column + 1)"): '\(text)' is not a finite number")
            }
            members.append(column)
            scores.append(value)
        }
        return (members, scores)
    }
}
