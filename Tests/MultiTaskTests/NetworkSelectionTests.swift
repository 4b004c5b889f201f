import Foundation
import Tensors
import Testing
@testable import MultiTask

/// Exact network selection against brute force on random small instances.
@Suite("Network selection")
struct NetworkSelectionTests {
    /// The best selection over every subset of candidates (nil: none is feasible); ties (1e-9
    /// relative) go to fewer groups, then to the lexicographically first candidate indices.
    static func bruteForce(_ problem: SelectionProblem) -> Selection? {
        var best: Selection?
        let count = problem.candidates.count
        for subset in 1..<(1 << count) {
            let chosen = (0..<count).filter { subset & (1 << $0) != 0 }
            if let k = problem.budget.maxGroups, chosen.count > k { continue }
            let cost = chosen.reduce(0) { $0 + problem.candidates[$1].cost }
            if let limit = problem.budget.maxCost, cost > limit + 1e-9 { continue }
            if problem.partition {
                let members = chosen.flatMap { problem.candidates[$0].members }
                guard members.count == Set(members).count else { continue }
            }
            guard let selection = Selection(chosen: chosen, in: problem) else { continue }
            guard let incumbent = best else { best = selection; continue }
            let sign = problem.higherIsBetter ? 1.0 : -1.0
            let (a, b) = (sign * selection.objective, sign * incumbent.objective)
            let tolerance = 1e-9 * Swift.max(1, abs(b))
            let tieBreak = chosen.count < incumbent.chosen.count || (chosen.count == incumbent.chosen.count && chosen.lexicographicallyPrecedes(incumbent.chosen))
            if a > b + tolerance || (a >= b - tolerance && tieBreak) { best = selection }
        }
        return best
    }

    static func randomProblem(_ rng: inout RandomGenerator) -> SelectionProblem {
        let n = 2 + Int(rng.next() % 5)
        let count = 1 + Int(rng.next() % 12)
        var candidates = (0..<count).map { _ -> CandidateGroup in
            var members = (0..<n).filter { _ in rng.next() % 3 == 0 }
            if members.isEmpty { members = [Int(rng.next() % UInt64(n))] }
            let scores = members.map { _ in (Double(rng.nextUniform()) * 2 - 0.5).rounded(toPlaces: 2) }
            return CandidateGroup(members: members, scores: scores, cost: [0.5, 1, 1, 1.5][Int(rng.next() % 4)])
        }
        if rng.next() % 2 == 0 { candidates.append(candidates[Int(rng.next() % UInt64(candidates.count))]) }  // duplicates happen
        var budget = SelectionBudget()
        switch rng.next() % 3 {
        case 0: budget.maxGroups = 1 + Int(rng.next() % 4)
        case 1: budget.maxCost = 0.5 * Double(2 + rng.next() % 7)
        default: (budget.maxGroups, budget.maxCost) = (1 + Int(rng.next() % 4), 0.5 * Double(2 + rng.next() % 7))
        }
        return SelectionProblem(tasks: (0..<n).map { "t\($0)" }, candidates: candidates, higherIsBetter: rng.next() % 2 == 0, budget: budget,
                                aggregate: rng.next() % 2 == 0 ? .mean : .sum, partition: rng.next() % 4 == 0)
    }

    /// Hundreds of random instances (overlapping or partition, count or cost budgets, ties and
    /// duplicates): the search finds the brute-force optimum, the same groups where optima tie,
    /// or says there is none.
    @Test func equalsBruteForce() throws {
        var rng = RandomGenerator(seed: 11)
        var solved = 0, infeasible = 0
        for instance in 0..<800 {
            let problem = Self.randomProblem(&rng)
            guard (try? problem.validate()) != nil else { continue }
            let expected = Self.bruteForce(problem)
            let found = try? NetworkSelection.solve(problem)
            #expect(found?.objective.rounded(toPlaces: 9) == expected?.objective.rounded(toPlaces: 9), "instance \(instance): \(problem)")
            #expect(found?.chosen == expected?.chosen, "instance \(instance): chose \(found?.chosen ?? []), brute force \(expected?.chosen ?? [])")
            if let found {
                #expect(found.chosen.count <= problem.budget.maxGroups ?? .max && found.cost <= (problem.budget.maxCost ?? .infinity) + 1e-9)
                solved += 1
            } else {
                infeasible += 1
            }
        }
        #expect(solved > 300 && infeasible > 20, "solved \(solved), infeasible \(infeasible)")
    }

    @Test func badProblemsAreNamed() {
        let tasks = ["a", "b"]
        func problem(_ candidates: [CandidateGroup], budget: SelectionBudget = .init(maxGroups: 2)) -> SelectionProblem {
            SelectionProblem(tasks: tasks, candidates: candidates, higherIsBetter: true, budget: budget)
        }
        #expect { try NetworkSelection.solve(problem([CandidateGroup(members: [0], scores: [1])])) } throws: { "\($0)".contains("no candidate group serves task 'b'") }
        #expect { try NetworkSelection.solve(problem([CandidateGroup(members: [0, 1], scores: [1, .nan])])) } throws: { "\($0)".contains("{a, b}") && "\($0)".contains("nan") }
        #expect { try NetworkSelection.solve(problem([CandidateGroup(members: [0, 1], scores: [1, 2])], budget: .init(maxGroups: 0))) } throws: { "\($0)".contains("at least one group") }
        #expect { try NetworkSelection.solve(problem([CandidateGroup(members: [0], scores: [1]), CandidateGroup(members: [1], scores: [1])], budget: .init(maxGroups: 1))) }
            throws: { "\($0)".contains("no choice of groups within at most 1 groups serves every task") }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
