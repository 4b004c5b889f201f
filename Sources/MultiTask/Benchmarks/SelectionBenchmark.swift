import Foundation
import Tensors

/// `mtk bench group`: network selection on a seeded random instance (scores uniform in [0, 1),
/// higher is better; group sizes uniform in a range), timed; the instance can be written as a CSV
/// table so that a peer (scripts/compare_selection.py: the same problem as a MILP for HiGHS)
/// solves exactly the same problem.
package enum SelectionBenchmark {
    package struct Record: Sendable, Codable {
        package var workload = "network_selection"
        package var engine = "MultiTaskKit"
        package var tasks: Int
        package var candidates: Int
        package var max_groups: Int
        package var seed: UInt64
        package var seconds: Double
        package var objective: Double
        package var chosen: [[Int]]
    }

    /// A random problem: `candidates` distinct groups of `sizes` tasks out of `tasks`.
    package static func instance(tasks: Int, candidates: Int, sizes: ClosedRange<Int>, maxGroups: Int, seed: UInt64) throws -> SelectionProblem {
        guard tasks >= 1, tasks <= 64, sizes.lowerBound >= 1, sizes.upperBound <= tasks, candidates >= 1 else {
            throw ConfigurationError("bench group: need 1 to 64 tasks, group sizes within 1...tasks and at least one candidate")
        }
        var rng = RandomGenerator(seed: seed)
        var seen = Set<[Int]>(), groups: [CandidateGroup] = []
        var attempts = 0
        while groups.count < candidates {
            attempts += 1
            guard attempts < 100 * candidates else { throw ConfigurationError("bench group: cannot draw \(candidates) distinct groups of \(sizes) of \(tasks) tasks") }
            let size = sizes.lowerBound + Int(rng.next() % UInt64(sizes.count))
            var members = Array(0..<tasks)
            for i in 0..<size { members.swapAt(i, i + Int(rng.next() % UInt64(tasks - i))) }
            let group = members.prefix(size).sorted()
            guard seen.insert(group).inserted else { continue }
            groups.append(CandidateGroup(members: group, scores: group.map { _ in Double(rng.nextUniform()) }))
        }
        return SelectionProblem(tasks: (0..<tasks).map { "t\($0)" }, candidates: groups, higherIsBetter: true, budget: .init(maxGroups: maxGroups))
    }

    /// The instance as `mtk group --table` reads it: a header of task names, one row per group.
    package static func csv(_ problem: SelectionProblem) -> String {
        var lines = [problem.tasks.joined(separator: ",")]
        for c in problem.candidates {
            var cells = [String](repeating: "", count: problem.tasks.count)
            for (t, s) in zip(c.members, c.scores) { cells[t] = "\(s)" }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    package static func run(_ problem: SelectionProblem, seed: UInt64) throws -> Record {
        let started = ContinuousClock.now
        let selection = try NetworkSelection.solve(problem)
        let seconds = (ContinuousClock.now - started).seconds
        return Record(tasks: problem.tasks.count, candidates: problem.candidates.count, max_groups: problem.budget.maxGroups ?? 0, seed: seed,
                      seconds: seconds, objective: selection.objective, chosen: selection.chosen.map { problem.candidates[$0].members })
    }
}
