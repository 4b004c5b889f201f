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

    /// The best selection among the sets of at most k candidates (the budget's count), visited in
    /// lexicographic order, by the rule of `bruteForce`: for many candidates and a small k.
    static func enumerated(_ problem: SelectionProblem) -> Selection? {
        let k = problem.budget.maxGroups!, count = problem.candidates.count, n = problem.tasks.count
        let sign = problem.higherIsBetter ? 1.0 : -1.0
        var score = [[Double]](repeating: [Double](repeating: -.infinity, count: n), count: count)
        for (c, candidate) in problem.candidates.enumerated() { for (t, s) in zip(candidate.members, candidate.scores) { score[c][t] = sign * s } }
        var best: (value: Double, chosen: [Int])?
        var chosen: [Int] = []
        func visit(from start: Int) {
            if !chosen.isEmpty {
                var served = [Double](repeating: -.infinity, count: n), cost = 0.0, members = 0
                for c in chosen {
                    for t in 0..<n { served[t] = Swift.max(served[t], score[c][t]) }
                    cost += problem.candidates[c].cost
                    members += problem.candidates[c].members.count
                }
                let feasible = served.allSatisfy(\.isFinite) && cost <= (problem.budget.maxCost ?? .infinity) + 1e-9 && (!problem.partition || members == n)
                if feasible {
                    let total = served.reduce(0, +), value = problem.aggregate == .sum ? total : total / Double(n)
                    if let incumbent = best {
                        let tolerance = 1e-9 * Swift.max(1, abs(incumbent.value))
                        let tieBreak = chosen.count < incumbent.chosen.count
                            || (chosen.count == incumbent.chosen.count && chosen.lexicographicallyPrecedes(incumbent.chosen))
                        if value > incumbent.value + tolerance || (value >= incumbent.value - tolerance && tieBreak) { best = (value, chosen) }
                    } else {
                        best = (value, chosen)
                    }
                }
            }
            guard chosen.count < k else { return }
            for c in start..<count {
                chosen.append(c)
                visit(from: c + 1)
                chosen.removeLast()
            }
        }
        visit(from: 0)
        return best.flatMap { Selection(chosen: $0.chosen, in: problem) }
    }

    /// A small random instance; with `levels`, every score is one of that many values (so many
    /// selections tie).
    static func randomProblem(_ rng: inout RandomGenerator, levels: Int? = nil) -> SelectionProblem {
        let n = 2 + Int(rng.next() % 5)
        let count = 1 + Int(rng.next() % 12)
        var candidates = (0..<count).map { _ -> CandidateGroup in
            var members = (0..<n).filter { _ in rng.next() % 3 == 0 }
            if members.isEmpty { members = [Int(rng.next() % UInt64(n))] }
            let scores = members.map { _ in
                levels.map { Double(rng.next() % UInt64($0)) / 2 } ?? (Double(rng.nextUniform()) * 2 - 0.5).rounded(toPlaces: 2)
            }
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
    /// Too many candidates for a matrix's tasks: one message, whatever the count, naming the
    /// largest group size that fits (18 tasks have 262,143 subsets, 199,139 of up to 10 tasks).
    @Test func tooManyCandidatesNameTheSizeThatFits() throws {
        for (n, fits) in [(18, 10), (25, 5)] {
            let tasks = (0..<n).map { "t\($0)" }
            let matrix = AffinityMatrix(tasks: tasks, values: tasks.map { _ in tasks.map { _ in 0.5 } }, method: "x")
            #expect { _ = try CandidateTables.fromPairs(matrix, singletons: .forbidden) } throws: { "\($0)".contains("give a largest group size of at most \(fits)") }
            #expect(try CandidateTables.fromPairs(matrix, singletons: .forbidden, maxSize: fits).count > 0)
            #expect(throws: ConfigurationError.self) { _ = try CandidateTables.fromPairs(matrix, singletons: .forbidden, maxSize: fits + 1) }
        }
    }

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

    /// The same with scores drawn from three values: optima tie often, in value and in size, and
    /// the preferred one must still be the brute force's.
    @Test func equalsBruteForceWhereManyTie() throws {
        var rng = RandomGenerator(seed: 12)
        var solved = 0, tiedWithMoreGroups = 0
        for instance in 0..<700 {
            let problem = Self.randomProblem(&rng, levels: 3)
            guard (try? problem.validate()) != nil else { continue }
            let expected = Self.bruteForce(problem)
            let found = try? NetworkSelection.solve(problem)
            #expect(found?.objective.rounded(toPlaces: 9) == expected?.objective.rounded(toPlaces: 9), "instance \(instance): \(problem)")
            #expect(found?.chosen == expected?.chosen, "instance \(instance): chose \(found?.chosen ?? []), brute force \(expected?.chosen ?? [])")
            guard let expected else { continue }
            solved += 1
            // Count the instances where one more group, within the budget, reaches the same objective.
            if !problem.partition, expected.chosen.count < problem.budget.maxGroups ?? .max, problem.candidates.indices.contains(where: { c in
                guard !expected.chosen.contains(c), let larger = Selection(chosen: expected.chosen + [c], in: problem) else { return false }
                return larger.objective == expected.objective && larger.cost <= (problem.budget.maxCost ?? .infinity) + 1e-9
            }) { tiedWithMoreGroups += 1 }
        }
        #expect(solved > 300 && tiedWithMoreGroups > 100, "solved \(solved), tied with more groups \(tiedWithMoreGroups)")
    }

    /// `mtk bench group`'s random instances, made small enough to enumerate (several tasks per
    /// group, tens of candidates, up to 4 groups), with their scores as drawn and cut to three
    /// values: the search returns the enumeration's selection.
    @Test(arguments: [false, true])
    func benchmarkInstancesEqualEnumeration(fewValues: Bool) throws {
        for seed in UInt64(0)..<4 {
            for k in 2...4 {
                var problem = try SelectionBenchmark.instance(tasks: 9, candidates: 36, sizes: 2...5, maxGroups: k, seed: seed)
                if fewValues {
                    problem.candidates = problem.candidates.map { CandidateGroup(members: $0.members, scores: $0.scores.map { ($0 * 3).rounded(.down) / 2 }) }
                }
                let expected = Self.enumerated(problem)
                let found = try? NetworkSelection.solve(problem)
                #expect(found?.chosen == expected?.chosen, "seed \(seed), k = \(k): chose \(found?.chosen ?? []), enumeration \(expected?.chosen ?? [])")
                #expect(found?.objective.rounded(toPlaces: 9) == expected?.objective.rounded(toPlaces: 9))
            }
        }
    }

    /// A large instance whose scores take three values, where from 6 groups on the optimum gives
    /// every task its best score and a great many selections tie: every budget from 6 groups
    /// returns the same 6 groups (the fewest, and the same earliest of them), and 5 fall short.
    @Test(.timeLimit(.minutes(2)))
    func saturatedTiesAgreeAcrossBudgets() throws {
        var problem = try SelectionBenchmark.instance(tasks: 25, candidates: 200, sizes: 4...12, maxGroups: 5, seed: 3)
        problem.candidates = problem.candidates.map { CandidateGroup(members: $0.members, scores: $0.scores.map { ($0 * 3).rounded(.down) / 2 }) }
        let best = problem.tasks.indices.map { t in problem.candidates.compactMap { $0.score(of: t) }.max()! }
        let ceiling = best.reduce(0, +) / Double(best.count)
        #expect(try NetworkSelection.solve(problem).objective < ceiling)
        var chosen: Set<[Int]> = []
        for k in [6, 7, 8, 12] {
            problem.budget = .init(maxGroups: k)
            let selection = try NetworkSelection.solve(problem)
            #expect(selection.scores == best, "k = \(k)")
            chosen.insert(selection.chosen)
        }
        #expect(chosen.count == 1 && chosen.first?.count == 6, "\(chosen)")
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
