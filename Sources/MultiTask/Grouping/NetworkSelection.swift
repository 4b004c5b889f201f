import Foundation

/// Exact network selection by branch and bound with Lagrangian bounds.
///
/// The search enumerates sets of candidates: a node orders the candidates it may still add, and
/// its j-th child may add only those after the j-th, so every set is reached once. Relaxing
/// "each task is served by one chosen group" with multipliers μ (tuned once by subgradient
/// steps, and the node's own scores) bounds every completion by Σₜ μₜ plus the r largest
/// reduced values vᶜ = Σ_{t ∈ c} max(0, sᶜₜ − μₜ) (r groups left), or their fractional knapsack
/// within the cost left; each task's best remaining score is a third bound. Ordered by vᶜ per
/// cost, the bound of "the j-th or a later one" falls with j, and the loop stops at the first
/// that cannot reach the target: beat the best so far, or tie with it where the tie would be
/// preferred. A completion loses at most (per-task bound − target) against the per-task bound,
/// so each task further below it must be raised by an added group: where many selections tie
/// that slack is 0, and these requirements (enough groups to meet them, an order that reaches
/// them) do the pruning. A candidate's gain only falls as groups are added (a task takes the
/// maximum), so gains at an ancestor skip candidates unread; with one group left every
/// completion is scored exactly. Groups that raise no task are never added.
///
/// Ties (objectives equal to 1e-9 relative) go to the selection with fewer groups, then to the
/// one whose candidates come first in the table, as Standley et al.'s enumeration resolves them.
/// A node that can only tie with the best waits until the search is over (the best may not be
/// optimal yet). Then it seeks selections of as few groups as its requirements allow, then one
/// more, and so on; its children are the candidates that meet the requirement fewest meet, or
/// all in table order where that finds the earliest selection first at a similar cost. Before
/// the search, where the greedy selection falls short of every task's best score, a bounded
/// probe looks for one that reaches it (where the LP bound is that sum, the bounds cannot).
/// A candidate that an earlier one dominates (a superset, at least as good on each of its
/// tasks, at no more cost) is dropped first.
public enum NetworkSelection {
    /// The best selection, or an error saying why none exists.
    public static func solve(_ problem: SelectionProblem) throws -> Selection {
        try problem.validate()
        var search = Search(problem)
        search.run()
        guard let chosen = search.bestChosen, let selection = Selection(chosen: chosen, in: problem) else {
            throw ConfigurationError("selection: no choice of groups within \(describe(problem.budget)) serves every task"
                                     + (problem.partition ? " as a partition" : ""))
        }
        return selection
    }

    static func describe(_ budget: SelectionBudget) -> String {
        switch (budget.maxGroups, budget.maxCost) {
        case let (k?, c?): "at most \(k) groups and cost \(c)"
        case let (k?, nil): "at most \(k) groups"
        case let (nil, c?): "cost \(c)"
        case (nil, nil): "an unlimited budget"
        }
    }
}


/// The search of `NetworkSelection` (values are maximised: losses are negated; objectives are
/// handled as sums over tasks).
struct Search {
    /// A candidate that may be added at a node: its reduced values at the tuned multipliers (`v`)
    /// and at the node's own scores (`own`, its gain there; see `gather`).
    struct Option {
        var c: Int
        var v: Double
        var own: Double
    }

    /// What every completion of a node that reaches a target needs: the tasks (`needed`) that
    /// some added group must raise to a level, which options can (`hits`, one mask per option),
    /// and how few groups could do it.
    struct Requirement {
        var needed: UInt64
        var hits: [UInt64]
        var minGroups: Int
    }

    let n: Int
    let count: Int                 // candidates kept
    let value: [Double]            // value[c * n + t], -inf when c does not serve t
    let members: [[Int]]
    let memberFlat: [Int]          // every candidate's members, one after another
    let memberStart: [Int]         // candidate c's members: memberFlat[memberStart[c]..<memberStart[c + 1]]
    let scoreFlat: [Double]        // their scores, in the same places
    let masks: [UInt64]
    let costs: [Double]
    /// The cheapest costs, summed: cheapest[q] is the least that q groups cost.
    let cheapest: [Double]
    let original: [Int]            // candidate index in the problem (increasing)
    let floor: [Double]            // per task: the lowest score any candidate gives it
    let taskBest: [Double]         // per task: the highest
    let maxGroups: Int, maxCost: Double
    let partition: Bool
    let all: UInt64
    /// Objectives are compared as sums; a mean's tolerance scales with the task count.
    let toleranceScale: Double
    var lambda: [Double]
    var bestValue = -Double.infinity
    var bestChosen: [Int]?
    /// Counts changes of the incumbent (a node re-reads its pruning target when it moves).
    var bestVersion = 0
    /// A node where only ties with the best were left, kept for when the search is over: its
    /// candidates (a bit per candidate), and no completion of it exceeds `ceiling`.
    struct Deferred {
        var allowed: [UInt64]
        var limit: Int
        var chosen: [Int]
        var current: [Double]
        var covered: UInt64
        var cost: Double
        var ceiling: Double
    }
    var deferred: [Deferred] = []
    var deferredBytes = 0
    /// While probing for a selection that gives every task its best (`probeBestScores`): the
    /// nodes it may visit, and what it found.
    var nodeBudget = Int.max
    var probeFound: [Int]?
    static let probeNodes = 20_000
    /// Whether the deferred nodes are being searched (then ties are sought at once).
    var settling = false
    /// At most this much memory holds waiting nodes (beyond it, ties are sought at once).
    static let deferredLimit = 64 << 20
    var nodes = 0
    static let slack = 1e-9

    init(_ problem: SelectionProblem) {
        n = problem.tasks.count
        let sign = problem.higherIsBetter ? 1.0 : -1.0
        var rows: [[Double]] = [], masks: [UInt64] = []
        for candidate in problem.candidates {
            var row = [Double](repeating: -.infinity, count: n), mask: UInt64 = 0
            for (t, s) in zip(candidate.members, candidate.scores) {
                row[t] = sign * s
                mask |= 1 << UInt64(t)
            }
            rows.append(row)
            masks.append(mask)
        }
        let costs = problem.candidates.map(\.cost)
        let kept = Search.undominated(rows, masks, costs, partition: problem.partition)
        let keptRows = kept.map { rows[$0] }
        value = keptRows.flatMap { $0 }
        count = kept.count
        members = kept.map { problem.candidates[$0].members }
        memberFlat = members.flatMap { $0 }
        memberStart = members.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        scoreFlat = zip(kept, members).flatMap { c, list in list.map { rows[c][$0] } }
        self.masks = kept.map { masks[$0] }
        self.costs = kept.map { costs[$0] }
        cheapest = self.costs.sorted().reduce(into: [0]) { $0.append($0.last! + $1) }
        original = kept
        floor = (0..<n).map { t in keptRows.map { $0[t] }.filter(\.isFinite).min() ?? -.infinity }
        maxGroups = problem.budget.maxGroups ?? Int.max
        maxCost = problem.budget.maxCost ?? .infinity
        partition = problem.partition
        all = n == 64 ? UInt64.max : (UInt64(1) << UInt64(n)) - 1
        toleranceScale = problem.aggregate == .mean ? Double(n) : 1
        taskBest = (0..<n).map { t in keptRows.map { $0[t] }.filter(\.isFinite).max() ?? 0 }
        // Start each multiplier at the task's best score: no candidate looks better than that.
        lambda = taskBest
    }

    /// Candidates that no earlier candidate dominates. Only earlier ones may drop a candidate: a
    /// later one that dominates it could tie with it, and ties go to the earlier candidates.
    static func undominated(_ rows: [[Double]], _ masks: [UInt64], _ costs: [Double], partition: Bool) -> [Int] {
        guard rows.count <= 5000 else { return Array(rows.indices) }
        return rows.indices.filter { c in
            !(0..<c).contains { d in
                guard masks[c] & ~masks[d] == 0, costs[d] <= costs[c] else { return false }
                if partition && masks[c] != masks[d] { return false }
                var m = masks[c]
                while m != 0 {
                    let t = m.trailingZeroBitCount
                    if rows[d][t] < rows[c][t] { return false }
                    m &= m - 1
                }
                return true
            }
        }
    }

    mutating func run() {
        greedy()
        tuneMultipliers()
        probeBestScores()
        var chosen: [Int] = []
        search(ArraySlice(0..<count), gains: ArraySlice(repeating: .infinity, count: count), limit: maxGroups, chosen: &chosen,
               current: [Double](repeating: -.infinity, count: n), covered: 0, cost: 0)
        // The optimum is known: the branches that could only tie with the best then.
        settling = true
        for node in deferred where bestValue - tolerance(bestValue) <= node.ceiling {
            var allowed: [Int] = []
            for (word, bits) in node.allowed.enumerated() {
                var m = bits
                while m != 0 {
                    allowed.append(word << 6 | m.trailingZeroBitCount)
                    m &= m - 1
                }
            }
            var chosen = node.chosen
            search(allowed[...], gains: ArraySlice(repeating: .infinity, count: allowed.count), limit: node.limit, chosen: &chosen,
                   current: node.current, covered: node.covered, cost: node.cost)
        }
        (deferred, deferredBytes) = ([], 0)
        // `original` is increasing, so the chosen indices stay sorted.
        bestChosen = bestChosen.map { $0.map { original[$0] } }
    }

    /// Where the best selection so far falls short of giving every task its best score, looks for
    /// one that does (it would be optimal): with the best stood in by that value and a selection
    /// of every candidate, the search is the covering problem that its tie handling solves (the
    /// needed tasks are all those not at their best). Within a node budget; a selection found
    /// becomes the best so far.
    mutating func probeBestScores() {
        let ceiling = taskBest.reduce(0, +)
        if bestChosen != nil && bestValue >= ceiling - tolerance(ceiling) { return }
        // (The stand-in must not be a selection itself.)
        guard count > Swift.min(maxGroups, affordable(maxCost)) else { return }
        let saved = (bestValue, bestChosen)
        (bestValue, bestChosen, probeFound) = (ceiling, Array(0..<count), nil)
        bestVersion += 1
        (settling, nodeBudget) = (true, nodes + Search.probeNodes)
        var chosen: [Int] = []
        search(ArraySlice(0..<count), gains: ArraySlice(repeating: .infinity, count: count), limit: maxGroups, chosen: &chosen,
               current: [Double](repeating: -.infinity, count: n), covered: 0, cost: 0)
        let found = probeFound
        (bestValue, bestChosen, probeFound) = (saved.0, saved.1, nil)
        bestVersion += 1
        (settling, nodeBudget) = (false, Int.max)
        if let found, let total = evaluate(found) { consider(found, total: total) }
    }

    /// How many more groups the cost left can buy (at most the candidates' count).
    func affordable(_ costLeft: Double) -> Int {
        guard costLeft.isFinite else { return count }
        // The largest q with cheapest[q] <= costLeft (within the slack).
        var (low, high) = (0, count)
        while low < high {
            let mid = (low + high + 1) / 2
            if cheapest[mid] <= costLeft + Search.slack { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Two objectives this close to `value` tie with it (1e-9 relative to the objective, as a
    /// mean or a sum; sums of the same numbers in another order differ in their last bits).
    func tolerance(_ value: Double) -> Double { Search.slack * Swift.max(toleranceScale, abs(value)) }

    /// Records `chosen` (which serves every task, with objective `total`) if it beats the best so
    /// far, or ties with it and is preferred.
    mutating func consider(_ chosen: [Int], total: Double) {
        if let best = bestChosen {
            let tol = tolerance(bestValue)
            if total > bestValue + tol {
                (bestValue, bestChosen) = (total, chosen.sorted())
            } else if total >= bestValue - tol {
                let sorted = chosen.sorted()
                guard Search.preferred(sorted, over: best) else { return }
                // Keep the larger of the two tied values: pruning targets only ever rise.
                (bestValue, bestChosen) = (Swift.max(bestValue, total), sorted)
            } else {
                return
            }
        } else {
            (bestValue, bestChosen) = (total, chosen.sorted())
        }
        bestVersion += 1
        if nodeBudget != Int.max {
            // The probe has done its part: the search settles ties.
            (probeFound, nodeBudget) = (bestChosen, nodes)
        }
    }

    /// Between tied selections: fewer groups, then the earlier candidates (lexicographically).
    static func preferred(_ a: [Int], over b: [Int]) -> Bool {
        a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
    }

    /// Candidate `c` added to scores `current`.
    func adding(_ c: Int, to current: [Double]) -> [Double] {
        var next = current
        for t in members[c] { next[t] = Swift.max(next[t], value[c * n + t]) }
        return next
    }

    /// Whether group `a` of `chosen` (plus `extra`) serves no task better than the others do:
    /// then the selection without it has the same scores with fewer groups.
    func redundant(_ a: Int, among chosen: [Int], plus extra: Int, _ current: [Double]) -> Bool {
        members[a].allSatisfy { t in
            let s = value[a * n + t]
            if s < current[t] { return true }
            let bit = UInt64(1) << UInt64(t)
            if extra != a && masks[extra] & bit != 0 && value[extra * n + t] >= s { return true }
            return chosen.contains { $0 != a && masks[$0] & bit != 0 && value[$0 * n + t] >= s }
        }
    }

    /// Whether adding `c` to `chosen` (giving scores `next`) makes a group redundant, `c` included.
    func addingMakesRedundant(_ c: Int, to chosen: [Int], _ next: [Double]) -> Bool {
        if redundant(c, among: chosen, plus: c, next) { return true }
        return chosen.contains { redundant($0, among: chosen, plus: c, next) }
    }
}
