import Foundation

/// What `mtk group` selects from and how: the source of candidate groups and scores, the budget
/// and the objective; builds the `SelectionProblem` and reports the chosen groups.
package struct GroupingRequest: Sendable {
    package enum Source: Sendable {
        /// An affinity matrix (`mtk affinity`'s JSON or CSV): every group of tasks, each member
        /// scored by the mean affinity onto it from the other members.
        case affinity(URL)
        /// Standley et al.'s tab-separated loss file (line 1: half-size single-task networks).
        case standley(URL, tasks: [String]?, hoa: Bool)
        /// A CSV table of candidate groups (header of task names, optional `cost` column).
        case table(URL)
    }

    package var source: Source
    package var maxGroups: Int?
    package var budget: Double?
    /// Budgets in Standley's units: in steps of 0.5.
    package var standleyCosts = false
    package var lowerIsBetter = false
    package var partition = false
    package var aggregate = SelectionProblem.Aggregate.mean
    /// Affinity source: how single-task groups score (nil: forbidden for affinities, the diagonal
    /// for losses).
    package var singletons: CandidateTables.Singletons?
    /// Affinity source: the largest group considered.
    package var largestGroup: Int?

    package init(source: Source) { self.source = source }

    /// The problem, from the options and the source file; errors name the file or option.
    /// `NetworkSelection.solve` checks the problem itself before any search.
    package func problem() throws -> SelectionProblem {
        guard maxGroups != nil || budget != nil else { throw ConfigurationError("group: give a budget: --max-groups K, --budget B, or both") }
        if let k = maxGroups, k < 1 { throw ConfigurationError("group: --max-groups must be at least 1, got \(k)") }
        if let b = budget {
            guard b > 0, b.isFinite else { throw ConfigurationError("group: --budget must be a positive number, got \(b)") }
            if standleyCosts && (b * 2).rounded() != b * 2 { throw ConfigurationError("group: Standley's budgets come in steps of 0.5, got \(b)") }
        }
        let tasks: [String], candidates: [CandidateGroup], higherIsBetter: Bool
        switch source {
        case .affinity(let url):
            // Both readers check the matrix's shape.
            let matrix = try url.pathExtension.lowercased() == "csv"
                ? AffinityMatrix.parse(csv: CandidateTables.text(url), method: url.deletingPathExtension().lastPathComponent, source: url.path)
                : AffinityMatrix.readJSON(from: url)
            tasks = matrix.tasks
            candidates = try CandidateTables.fromPairs(matrix, singletons: singletons ?? (lowerIsBetter ? .diagonal : .forbidden), maxSize: largestGroup)
            higherIsBetter = !lowerIsBetter
        case .standley(let url, let names, let hoa):
            let (columns, networks) = try CandidateTables.standley(url, tasks: names)
            tasks = columns
            candidates = hoa ? try CandidateTables.higherOrderApproximation(networks, tasks: columns) : networks
            higherIsBetter = false
        case .table(let url):
            (tasks, candidates) = try CandidateTables.csv(url)
            higherIsBetter = !lowerIsBetter
        }
        return SelectionProblem(tasks: tasks, candidates: candidates, higherIsBetter: higherIsBetter,
                                budget: SelectionBudget(maxGroups: maxGroups, maxCost: budget), aggregate: aggregate, partition: partition)
    }

    /// The chosen groups, each task's serving group and score, and the objective, as text.
    package static func report(_ selection: Selection, in problem: SelectionProblem) -> String {
        let groups = selection.chosen.map { problem.describe(problem.candidates[$0]) }
        let width = Swift.max(4, problem.tasks.map(\.count).max() ?? 0)
        var lines = ["groups (\(groups.count), cost \(format(selection.cost))): " + groups.joined(separator: "  ")]
        lines.append("task".padding(toLength: width, withPad: " ", startingAt: 0) + "  score       served by")
        for (t, task) in problem.tasks.enumerated() {
            lines.append(task.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + format(selection.scores[t]).padding(toLength: 10, withPad: " ", startingAt: 0)
                         + "  " + problem.describe(problem.candidates[selection.serving[t]]))
        }
        lines.append("objective (\(problem.aggregate.rawValue) over \(problem.tasks.count) tasks, \(problem.higherIsBetter ? "higher" : "lower") is better): \(format(selection.objective))")
        return lines.joined(separator: "\n")
    }

    /// The same as JSON: `groups` (task names), `cost`, per task `served_by` and `score`, `objective`.
    package static func json(_ selection: Selection, in problem: SelectionProblem) throws -> Data {
        struct Served: Encodable { let task: String, score: Double, served_by: [String] }
        struct Report: Encodable {
            let groups: [[String]], cost: Double, tasks: [Served], objective: Double, aggregate: String, higher_is_better: Bool
        }
        let names = { (c: Int) in problem.candidates[c].members.map { problem.tasks[$0] } }
        let report = Report(groups: selection.chosen.map(names), cost: selection.cost,
                            tasks: problem.tasks.indices.map { Served(task: problem.tasks[$0], score: selection.scores[$0], served_by: names(selection.serving[$0])) },
                            objective: selection.objective, aggregate: problem.aggregate.rawValue, higher_is_better: problem.higherIsBetter)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    static func format(_ x: Double) -> String { String(format: "%.6g", x) }
}
