import Foundation

/// Exact network selection by branch and bound.
///
/// Tasks are visited in a fixed order (fewest candidates first). At each task the search either
/// lets the best already-chosen group serve it or opens a new candidate that serves it better.
/// A candidate is only opened at the first task it serves best, so it may not improve an earlier
/// task (that path is searched elsewhere); every selection without a useless group is still
/// reached, and a visited task's score is final. A branch is cut when an upper bound on its
/// objective falls below the best selection found: the smaller of (i) each remaining task's best
/// score from any candidate and, once every task is served, (ii) the current scores plus the
/// largest gains the remaining budget could buy candidate by candidate (the gain of a set is at
/// most the sum of its members' gains, so the k largest, or a fractional knapsack under a cost
/// budget, bound it). A candidate that an earlier one dominates (a superset, at least as good on
/// each of its tasks, at no more cost) is dropped first (in tables of up to 5,000 candidates).
///
/// Ties (objectives equal to 1e-9 relative) go to the selection with fewer groups, then to the
/// one whose candidates come first in the table, as Standley et al.'s enumeration resolves them.
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

/// The search state of `NetworkSelection` (values are maximised: losses are negated).
struct Search {
    let n: Int
    let value: [[Double]]          // value[c][t], -inf when c does not serve t
    let masks: [UInt64]
    let costs: [Double]
    let original: [Int]            // candidate index in the problem
    let byTask: [[Int]]            // per task position: candidates serving it, best first
    let floor: [Double]            // per task position: the lowest score any candidate gives it
    let order: [Int]               // task visited at each position
    let maxGroups: Int, maxCost: Double
    let partition: Bool
    var current: [Double]          // per task position
    var chosen: [Int] = []
    var usedCost = 0.0
    var covered: UInt64 = 0        // task positions served by a chosen candidate
    private(set) var bestValue = -Double.infinity
    private(set) var bestChosen: [Int]?
    static let slack = 1e-9

    init(_ problem: SelectionProblem) {
        n = problem.tasks.count
        let sign = problem.higherIsBetter ? 1.0 : -1.0
        // Visit the tasks with the fewest candidates first.
        let counts = (0..<n).map { t in problem.candidates.filter { $0.members.contains(t) }.count }
        order = (0..<n).sorted { (counts[$0], $0) < (counts[$1], $1) }
        var position = [Int](repeating: 0, count: n)
        for (p, t) in order.enumerated() { position[t] = p }
        var rows: [[Double]] = [], masks: [UInt64] = [], costs: [Double] = []
        for candidate in problem.candidates {
            var row = [Double](repeating: -.infinity, count: n), mask: UInt64 = 0
            for (t, s) in zip(candidate.members, candidate.scores) {
                row[position[t]] = sign * s
                mask |= 1 << UInt64(position[t])
            }
            rows.append(row)
            masks.append(mask)
            costs.append(candidate.cost)
        }
        let kept = Search.undominated(rows, masks, costs, partition: problem.partition)
        value = kept.map { rows[$0] }
        self.masks = kept.map { masks[$0] }
        self.costs = kept.map { costs[$0] }
        original = kept
        byTask = (0..<n).map { p in
            kept.indices.filter { masks[kept[$0]] & (1 << UInt64(p)) != 0 }.sorted { (rows[kept[$0]][p], -$0) > (rows[kept[$1]][p], -$1) }
        }
        floor = byTask.enumerated().map { p, list in list.last.map { rows[kept[$0]][p] } ?? -.infinity }
        maxGroups = problem.budget.maxGroups ?? Int.max
        maxCost = problem.budget.maxCost ?? .infinity
        partition = problem.partition
        current = [Double](repeating: -.infinity, count: n)
    }

    /// Candidates that no earlier candidate dominates. Only earlier ones may drop a candidate: a
    /// later one that dominates it could tie with it, and ties go to the earlier candidates.
    static func undominated(_ rows: [[Double]], _ masks: [UInt64], _ costs: [Double], partition: Bool) -> [Int] {
        // Quadratic in the candidates: only worth it (and affordable) for tables of moderate size.
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
        search(0)
        bestChosen = bestChosen.map { $0.map { original[$0] } }
    }

    private mutating func search(_ p: Int) {
        if p == n {
            let total = current.reduce(0, +)
            if bestChosen == nil || total > bestValue + tolerance || (total >= bestValue - tolerance && preferred(chosen, over: bestChosen!)) {
                (bestValue, bestChosen) = (total, chosen.sorted())
            }
            return
        }
        let limit = bound(from: p)
        guard limit > -.infinity, bestChosen == nil || limit >= bestValue - tolerance else { return }
        let bit: UInt64 = 1 << UInt64(p)
        // Served by the best chosen group so far.
        if covered & bit != 0 { search(p + 1) }
        if partition && covered & bit != 0 { return }
        // Or by a new group that serves it better.
        guard chosen.count < maxGroups else { return }
        let earlier: UInt64 = bit &- 1
        for c in byTask[p] where value[c][p] > current[p] {
            guard usedCost + costs[c] <= maxCost + Search.slack else { continue }
            if partition {
                guard masks[c] & covered == 0, masks[c] & earlier == 0 else { continue }
            } else if improvesEarlier(c, earlier) { continue }
            open(c, p)
        }
    }

    /// Whether candidate `c` would raise the score of a task visited before (mask `earlier`).
    /// Two objectives this close are a tie (sums of the same numbers in another order differ in
    /// their last bits).
    private var tolerance: Double { Search.slack * Swift.max(1, abs(bestValue)) }

    /// Between tied selections: fewer groups, then the earlier candidates (lexicographically).
    private func preferred(_ a: [Int], over b: [Int]) -> Bool {
        if a.count != b.count { return a.count < b.count }
        return a.sorted().lexicographicallyPrecedes(b)
    }

    private func improvesEarlier(_ c: Int, _ earlier: UInt64) -> Bool {
        var m = masks[c] & earlier
        while m != 0 {
            let t = m.trailingZeroBitCount
            if value[c][t] > current[t] { return true }
            m &= m - 1
        }
        return false
    }

    private mutating func open(_ c: Int, _ p: Int) {
        let saved = current, savedCovered = covered
        var m = masks[c]
        while m != 0 {
            let t = m.trailingZeroBitCount
            current[t] = Swift.max(current[t], value[c][t])
            m &= m - 1
        }
        covered |= masks[c]
        chosen.append(c)
        usedCost += costs[c]
        search(p + 1)
        usedCost -= costs[c]
        chosen.removeLast()
        (current, covered) = (saved, savedCovered)
    }

    /// An upper bound on the objective of any completion of the current branch at position `p`.
    private func bound(from p: Int) -> Double {
        let canOpen = chosen.count < maxGroups
        var fixed = 0.0
        for t in 0..<p { fixed += current[t] }
        // (i) Each remaining task's best possible score.
        var perTask = fixed
        for t in p..<n {
            let best = canOpen ? (byTask[t].first.map { Swift.max(current[t], value[$0][t]) } ?? current[t]) : current[t]
            if best == -.infinity { return -.infinity }
            perTask += best
        }
        guard canOpen, !partition else { return perTask }
        // (ii) From a reference score per remaining task (its current one, or for a task not yet
        // served the lowest any candidate gives it), the gains the remaining budget can buy, one
        // candidate at a time; and the unserved tasks must be coverable by as many candidates.
        let remaining = (n == 64 ? UInt64.max : (UInt64(1) << UInt64(n)) - 1) & ~((UInt64(1) << UInt64(p)) - 1)
        let unserved = remaining & ~covered
        var base = fixed
        for t in p..<n { base += unserved & (1 << UInt64(t)) != 0 ? floor[t] : current[t] }
        let groupsLeft = maxGroups == Int.max ? Int.max : maxGroups - chosen.count
        let costLeft = maxCost - usedCost
        var gains: [(gain: Double, cover: Int, cost: Double)] = []
        var topGains = [Double](repeating: 0, count: Swift.min(groupsLeft, 64)), topCover = [Int](repeating: 0, count: Swift.min(groupsLeft, 64))
        for c in value.indices where costs[c] <= costLeft + Search.slack {
            var gain = 0.0
            var m = masks[c] & remaining
            while m != 0 {
                let t = m.trailingZeroBitCount
                gain += Swift.max(0, value[c][t] - (unserved & (1 << UInt64(t)) != 0 ? floor[t] : current[t]))
                m &= m - 1
            }
            let cover = (masks[c] & unserved).nonzeroBitCount
            guard gain > 0 || cover > 0 else { continue }
            if costLeft.isFinite { gains.append((gain, cover, costs[c])) }
            Search.keepLargest(&topGains, gain)
            Search.keepLargest(&topCover, cover)
        }
        let needed = unserved.nonzeroBitCount
        var byCount = base + topGains.reduce(0, +)
        if groupsLeft > 64 { byCount = .infinity }  // no count limit in practice: the per-task bound holds
        if groupsLeft <= 64, topCover.reduce(0, +) < needed { return -.infinity }
        var byCost = Double.infinity
        if costLeft.isFinite {
            // Fractional knapsacks: of gains, and of the unserved tasks each candidate covers.
            byCost = base
            var left = costLeft
            for g in gains.sorted(by: { $0.gain * $1.cost > $1.gain * $0.cost }) {
                if g.cost <= left { byCost += g.gain; left -= g.cost } else { byCost += g.gain * left / g.cost; break }
            }
            left = costLeft
            var coverable = 0.0
            for g in gains.sorted(by: { Double($0.cover) * $1.cost > Double($1.cover) * $0.cost }) {
                if g.cost <= left { coverable += Double(g.cover); left -= g.cost } else { coverable += Double(g.cover) * left / g.cost; break }
            }
            if coverable + Search.slack < Double(needed) { return -.infinity }
        }
        return Swift.min(perTask, byCount, byCost)
    }

    /// Keeps the largest values seen in `top` (smallest first replaced).
    static func keepLargest<T: Comparable>(_ top: inout [T], _ value: T) {
        guard let smallest = top.indices.min(by: { top[$0] < top[$1] }), top[smallest] < value else { return }
        top[smallest] = value
    }
}
