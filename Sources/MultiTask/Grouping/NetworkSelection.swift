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

/// The sum of the k largest of at most `count` values inserted (values are never negative here).
struct LargestSum {
    let k: Int
    let everything: Bool
    private var top: [Double] = []  // ascending, at most k
    private(set) var sum = 0.0

    init(_ k: Int, of count: Int) { (self.k, everything) = (Swift.max(0, k), k >= count) }

    mutating func insert(_ v: Double) {
        guard k > 0 else { return }
        if everything {
            sum += v
        } else if top.count < k {
            var i = top.count
            top.append(v)
            while i > 0 && top[i - 1] > v { top[i] = top[i - 1]; i -= 1 }
            top[i] = v
            sum += v
        } else if v > top[0] {
            sum += v - top[0]
            var i = 0
            while i + 1 < k && top[i + 1] < v { top[i] = top[i + 1]; i += 1 }
            top[i] = v
        }
    }
}

/// The k smallest integers inserted so far, ascending.
struct SmallestInts {
    let k: Int
    private(set) var values: [Int] = []

    init(_ k: Int) { self.k = k }

    mutating func insert(_ v: Int) {
        guard k > 0 else { return }
        if values.count < k {
            values.append(v)
        } else if v < values[k - 1] {
            values[k - 1] = v
        } else {
            return
        }
        var i = values.count - 1
        while i > 0 && values[i - 1] > v {
            values[i] = values[i - 1]
            i -= 1
        }
        values[i] = v
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
    private(set) var bestValue = -Double.infinity
    private(set) var bestChosen: [Int]?
    /// Counts changes of the incumbent (a node re-reads its pruning target when it moves).
    private var bestVersion = 0
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
    private var deferred: [Deferred] = []
    private var deferredBytes = 0
    /// While probing for a selection that gives every task its best (`probeBestScores`): the
    /// nodes it may visit, and what it found.
    private var nodeBudget = Int.max
    private var probeFound: [Int]?
    static let probeNodes = 20_000
    /// Whether the deferred nodes are being searched (then ties are sought at once).
    private var settling = false
    /// At most this much memory holds waiting nodes (beyond it, ties are sought at once).
    static let deferredLimit = 64 << 20
    private(set) var nodes = 0
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
    private mutating func probeBestScores() {
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
    private func tolerance(_ value: Double) -> Double { Search.slack * Swift.max(toleranceScale, abs(value)) }

    /// Records `chosen` (which serves every task, with objective `total`) if it beats the best so
    /// far, or ties with it and is preferred.
    private mutating func consider(_ chosen: [Int], total: Double) {
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
    private func adding(_ c: Int, to current: [Double]) -> [Double] {
        var next = current
        for t in members[c] { next[t] = Swift.max(next[t], value[c * n + t]) }
        return next
    }

    /// Whether group `a` of `chosen` (plus `extra`) serves no task better than the others do:
    /// then the selection without it has the same scores with fewer groups.
    private func redundant(_ a: Int, among chosen: [Int], plus extra: Int, _ current: [Double]) -> Bool {
        members[a].allSatisfy { t in
            let s = value[a * n + t]
            if s < current[t] { return true }
            let bit = UInt64(1) << UInt64(t)
            if extra != a && masks[extra] & bit != 0 && value[extra * n + t] >= s { return true }
            return chosen.contains { $0 != a && masks[$0] & bit != 0 && value[$0 * n + t] >= s }
        }
    }

    /// Whether adding `c` to `chosen` (giving scores `next`) makes a group redundant, `c` included.
    private func addingMakesRedundant(_ c: Int, to chosen: [Int], _ next: [Double]) -> Bool {
        if redundant(c, among: chosen, plus: c, next) { return true }
        return chosen.contains { redundant($0, among: chosen, plus: c, next) }
    }

    // MARK: The search

    /// The node: `chosen` (serving `current`, covering `covered`, costing `cost`), and the
    /// candidates that may still be added (`allowed`, in the parent's order), each with a bound
    /// on what it can add (`gains`: its gain over an ancestor's scores, see `gather`). Only
    /// selections of at most `limit` groups are sought below it; `exact`: only those of `limit`
    /// (an ancestor has searched the smaller ones).
    private mutating func search(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, limit: Int, exact: Bool = false, chosen: inout [Int],
                                 current: [Double], covered: UInt64, cost: Double) {
        nodes += 1
        guard nodes <= nodeBudget else { return }
        var servedSum = 0.0, raised = 0.0
        for t in 0..<n {
            if covered & (1 << UInt64(t)) != 0 { servedSum += current[t] }
            raised += Swift.max(floor[t], current[t])
        }
        if covered == all { consider(chosen, total: servedSum) }
        let costLeft = maxCost - cost
        var groupsLeft = Swift.min(limit - chosen.count, affordable(costLeft))
        guard groupsLeft > 0, !allowed.isEmpty else { return }
        // A candidate whose gain bound, with the largest bounds of the other groups left, cannot
        // reach a tie with the best so far is not worth adding.
        var dropBelow = -Double.infinity
        if bestChosen != nil {
            dropBelow = bestValue - tolerance(bestValue) - raised - Search.largest(groupsLeft - 1, of: gains)
        }
        if groupsLeft == 1 {
            leaves(allowed, gains: gains, dropBelow: dropBelow, chosen: &chosen, current: current, covered: covered, cost: cost, servedSum: servedSum)
            return
        }
        var upper = current
        var options = gather(allowed, gains: gains, dropBelow: dropBelow, current: current, covered: covered, costLeft: costLeft, upper: &upper)
        guard !options.isEmpty else { return }
        let upperSum = upper.reduce(0, +)
        guard upperSum > -.infinity else { return }  // a task no option serves

        // What the completions that matter must reach: more than the best so far, or a tie with
        // it where they could be preferred to it (fewer groups, or as many and earlier ones).
        var (target, tiesOnly) = (-Double.infinity, false)
        var need: Requirement
        if let best = bestChosen {
            let tol = tolerance(bestValue)
            guard let loose = requirement(options, target: bestValue - tol, strict: false, upper: upper, upperSum: upperSum,
                                          current: current, covered: covered, groupsLeft: groupsLeft, costLeft: costLeft) else { return }
            let better = requirement(options, target: bestValue + tol, strict: true, upper: upper, upperSum: upperSum,
                                     current: current, covered: covered, groupsLeft: groupsLeft, costLeft: costLeft)
            let tie = canTie(best, chosen: chosen, minGroups: loose.minGroups, options: options)
            if let better, !tie {
                (target, need) = (bestValue + tol, better)
            } else if tie {
                (target, need) = (bestValue - tol, loose)
                // Nothing here beats the best: only ties with no more groups than it matter. Those
                // are sought once the search is over (the best may not be the optimum yet).
                tiesOnly = better == nil
                if tiesOnly && !settling && deferredBytes < Search.deferredLimit {
                    var set = [UInt64](repeating: 0, count: (count + 63) / 64)
                    for option in options { set[option.c >> 6] |= 1 << UInt64(option.c & 63) }
                    deferred.append(Deferred(allowed: set, limit: limit, chosen: chosen, current: current, covered: covered, cost: cost,
                                             ceiling: bestValue + tol))
                    deferredBytes += 8 * (set.count + n + chosen.count) + 64
                    return
                }
                if tiesOnly {
                    if exact && best.count < limit { return }
                    groupsLeft = Swift.min(groupsLeft, best.count - chosen.count)
                }
            } else {
                return
            }
        } else {
            guard let first = requirement(options, target: target, strict: false, upper: upper, upperSum: upperSum,
                                          current: current, covered: covered, groupsLeft: groupsLeft, costLeft: costLeft) else { return }
            need = first
        }
        let minGroups = need.minGroups

        // The order of the children: reduced value per cost at the tuned multipliers, largest
        // first (the best selections come early). Where only ties are left, in candidate order:
        // either all of them (the first selection found is then the earliest), or first those
        // that hit the needed task that the fewest hit, then the others (every completion adds
        // one of the first, so the children are those that add them) when they are far fewer
        // than the children in candidate order.
        var order: [Int]
        var byIndex = false
        if tiesOnly {
            order = options.indices.sorted { options[$0].c < options[$1].c }
            if need.needed != 0 {
                var hitCount = [Int](repeating: 0, count: n), lastHit = [Int](repeating: -1, count: n)
                for (position, j) in order.enumerated() {
                    var m = need.hits[j]
                    while m != 0 {
                        let t = m.trailingZeroBitCount
                        hitCount[t] += 1
                        lastHit[t] = position
                        m &= m - 1
                    }
                }
                let tasks = (0..<n).filter { need.needed & (1 << UInt64($0)) != 0 }
                let task = tasks.min { hitCount[$0] < hitCount[$1] }!
                let children = tasks.map { lastHit[$0] }.min()! + 1
                // Candidate order pays where the earliest selection of the best's size is sought.
                byIndex = exact && bestChosen?.count == limit && children <= 10 * hitCount[task]
                if !byIndex {
                    let first = UInt64(1) << UInt64(task)
                    order = order.filter { need.hits[$0] & first != 0 } + order.filter { need.hits[$0] & first == 0 }
                }
            }
        } else {
            order = options.indices.sorted { a, b in
                let (x, y) = (options[a].v * costs[options[b].c], options[b].v * costs[options[a].c])
                if x != y { return x > y }
                let (p, q) = (options[a].own * costs[options[b].c], options[b].own * costs[options[a].c])
                return p != q ? p > q : options[a].c < options[b].c
            }
        }
        options = order.map { options[$0] }
        if need.needed != 0 { need.hits = order.map { need.hits[$0] } }
        // Every completion adds, for each needed task, an option that hits it: the first option
        // added comes no later than the last that hits each needed task.
        var last = options.count - 1
        if need.needed != 0 {
            var lastHit = [Int](repeating: -1, count: n)
            for j in options.indices {
                var h = need.hits[j]
                while h != 0 {
                    lastHit[h.trailingZeroBitCount] = j
                    h &= h - 1
                }
            }
            var m = need.needed
            while m != 0 {
                last = Swift.min(last, lastHit[m.trailingZeroBitCount])
                m &= m - 1
            }
        }
        let ids = options.map(\.c), owns = options.map(\.own)

        // Where only ties are left, the fewest groups win: look for selections of as few groups
        // as the needed tasks allow, then one more, ..., up to as many as the best has (each
        // pass then seeks only its own size).
        var groups = tiesOnly && !exact ? Swift.min(groupsLeft, Swift.max(1, minGroups)) : groupsLeft
        while true {
            if tiesOnly, let best = bestChosen {
                groups = Swift.min(groups, best.count - chosen.count)
                if exact && chosen.count + groups < limit { return }
            }
            guard groups >= Swift.max(1, minGroups) else { return }
            if groups == 1 {
                leaves(ids[...], gains: owns[...], dropBelow: target - raised, chosen: &chosen, current: current, covered: covered, cost: cost,
                       servedSum: servedSum)
            } else {
                expand(options, ids: ids, owns: owns, need: need, last: last, groupsLeft: groups, size: tiesOnly ? chosen.count + groups : nil,
                       tiesOnly: tiesOnly, byIndex: byIndex, chosen: &chosen, current: current, covered: covered, cost: cost)
            }
            guard tiesOnly, let best = bestChosen, groups < Swift.min(groupsLeft, best.count - chosen.count) else { return }
            groups += 1
        }
    }

    /// The children of a node: each adds options[j] (`ids[j]`) and may then add only later
    /// options, with at most `groupsLeft` groups added in all (with a `size`, exactly as many as
    /// make it). Stops at the first j whose suffix bound cannot reach the target (a tie with the
    /// best, or more), skips a child whose own bound cannot, that cannot hit the needed tasks
    /// (see `requirement`), or whose earliest selection of the best's size is not earlier.
    private mutating func expand(_ options: [Option], ids: [Int], owns: [Double], need: Requirement, last: Int, groupsLeft: Int, size: Int?,
                                 tiesOnly: Bool, byIndex: Bool, chosen: inout [Int], current: [Double], covered: UInt64, cost: Double) {
        let costLeft = maxCost - cost
        let (limits, childLimits) = suffixBounds(options, knapsackOrder: !tiesOnly, current: current, covered: covered, groupsLeft: groupsLeft,
                                                 costLeft: costLeft)
        var version = -1
        var (target, strict) = (-Double.infinity, false)
        // Where only ties are left: the smallest candidates after each option (as many as could
        // join it in a selection of the best's size), for the earliest selection from a child.
        // (Row j of `smallestAfter`, `joining` wide, padded with Int.max; made when first needed.)
        var smallestAfter: [Int] = [], joining = -1
        // The options that hit a needed task, in order.
        let hitters = need.needed == 0 ? [] : need.hits.indices.filter { need.hits[$0] != 0 }
        var j = 0
        while j <= last {
            if version != bestVersion, let best = bestChosen {
                version = bestVersion
                let tol = tolerance(bestValue)
                let tie = canTie(best, chosen: chosen, minGroups: need.minGroups, options: options)
                if tiesOnly && !tie { return }
                (target, strict) = tie ? (bestValue - tol, false) : (bestValue + tol, true)
            }
            if strict ? limits[j] <= target : limits[j] < target { return }
            var hopeless = false
            if let size, let best = bestChosen, best.count <= size {
                // Every completion sought has `size` groups: none has fewer than the best, and
                // with as many, the earliest from child j is `chosen`, its option and the smallest
                // candidates after it.
                if best.count < size { return }
                if joining < 0 {
                    joining = best.count - chosen.count - 1
                    var smallest = SmallestInts(joining)
                    smallestAfter = [Int](repeating: .max, count: ids.count * joining)
                    for k in ids.indices.reversed() {
                        for (i, id) in smallest.values.enumerated() { smallestAfter[k * joining + i] = id }
                        smallest.insert(ids[k])
                    }
                }
                let others = Swift.min(joining, best.count - chosen.count - 1)
                let earliest = (chosen + [ids[j]] + smallestAfter[(j * joining)..<(j * joining + others)]).sorted()
                hopeless = !earliest.lexicographicallyPrecedes(best)
                // In candidate order, later children come later still.
                if hopeless && byIndex { return }
            }
            hopeless = hopeless || (strict ? childLimits[j] <= target : childLimits[j] < target)
                || (need.needed != 0 && !canHitRest(need, hitters: hitters, after: j, groupsLeft: groupsLeft - 1))
            let c = ids[j]
            if !hopeless {
                let next = adding(c, to: current)
                if !addingMakesRedundant(c, to: chosen, next) {
                    chosen.append(c)
                    search(ids[(j + 1)...], gains: owns[(j + 1)...], limit: size ?? chosen.count - 1 + groupsLeft, exact: size != nil,
                           chosen: &chosen, current: next, covered: covered | masks[c], cost: cost + costs[c])
                    chosen.removeLast()
                }
            }
            j += 1
        }
    }

    /// Whether the needed tasks that option j does not hit can be hit by at most `groupsLeft`
    /// options after it (the largest counts of such tasks they hit must add up).
    private func canHitRest(_ need: Requirement, hitters: [Int], after j: Int, groupsLeft: Int) -> Bool {
        let rest = need.needed & ~need.hits[j]
        guard rest != 0 else { return true }
        guard groupsLeft > 0 else { return false }
        var union: UInt64 = 0
        // The first hitter after j.
        var (low, high) = (0, hitters.count)
        while low < high {
            let mid = (low + high) / 2
            if hitters[mid] <= j { low = mid + 1 } else { high = mid }
        }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 65) { sizes in
            sizes.initialize(repeating: 0)
            need.hits.withUnsafeBufferPointer { hits in
                for k in hitters[low...] {
                    let h = hits[k] & rest
                    union |= h
                    sizes[h.nonzeroBitCount] += 1
                }
            }
            guard union == rest else { return false }
            // The largest counts, as many as there are groups left.
            var (left, total) = (groupsLeft, 0)
            for size in stride(from: 64, through: 1, by: -1) where sizes[size] > 0 {
                let take = Swift.min(left, sizes[size])
                total += take * size
                left -= take
                if left == 0 { break }
            }
            return total >= rest.nonzeroBitCount
        }
    }

    /// Whether a selection that adds to `chosen` (at least `minGroups` more, from `options`)
    /// could be preferred to `best` at an equal objective: fewer groups, or as many and
    /// lexicographically earlier (the earliest such is `chosen` plus the smallest options).
    private func canTie(_ best: [Int], chosen: [Int], minGroups: Int, options: [Option]) -> Bool {
        let fewest = chosen.count + Swift.max(1, minGroups)
        if fewest != best.count { return fewest < best.count }
        var smallest: [Int] = []
        let wanted = best.count - chosen.count
        for option in options {
            if smallest.count < wanted {
                smallest.append(option.c)
                smallest.sort()
            } else if option.c < smallest[wanted - 1] {
                smallest[wanted - 1] = option.c
                smallest.sort()
            }
        }
        return (chosen + smallest).sorted().lexicographicallyPrecedes(best)
    }

    /// The candidates of `allowed` worth adding to `current`: affordable, disjoint from the served
    /// tasks in a partition, with a gain bound of at least `dropBelow`, and raising some task's
    /// score (a group that raises none would be redundant); `upper` takes each task's best score
    /// among them.
    ///
    /// A candidate's `own` value is its gain in G(S) = Σₜ max(floorₜ, best score of S for t),
    /// which is the objective for every selection S that serves all tasks. G is submodular (a
    /// task takes the maximum), so the gain at a node bounds the gain at every descendant.
    private func gather(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, dropBelow: Double, current: [Double], covered: UInt64,
                        costLeft: Double, upper: inout [Double]) -> [Option] {
        let n = self.n
        var tuned = [Double](repeating: 0, count: n), own = [Double](repeating: 0, count: n)
        for t in 0..<n {
            tuned[t] = Swift.max(lambda[t], current[t])
            own[t] = covered & (1 << UInt64(t)) != 0 ? current[t] : floor[t]
        }
        var options: [Option] = []
        options.reserveCapacity(allowed.count)
        let costLimit = costLeft + Search.slack
        scoreFlat.withUnsafeBufferPointer { score in
            memberFlat.withUnsafeBufferPointer { flat in
                current.withUnsafeBufferPointer { current in
                    upper.withUnsafeMutableBufferPointer { upper in
                        tuned.withUnsafeBufferPointer { tuned in
                            own.withUnsafeBufferPointer { own in
                                for (c, bound) in zip(allowed, gains) where bound >= dropBelow && costs[c] <= costLimit
                                    && (!partition || masks[c] & covered == 0) {
                                    var v = 0.0, ownValue = 0.0, improves = false
                                    let range = memberStart[c]..<memberStart[c + 1]
                                    for i in range {
                                        let t = flat[i], s = score[i]
                                        if s > current[t] { improves = true }
                                        v += Swift.max(0, s - tuned[t])
                                        ownValue += Swift.max(0, s - own[t])
                                    }
                                    guard improves, ownValue >= dropBelow else { continue }
                                    options.append(Option(c: c, v: v, own: ownValue))
                                    for i in range { upper[flat[i]] = Swift.max(upper[flat[i]], score[i]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return options
    }

    /// One group left: each candidate's selection is complete, and its objective is known exactly.
    /// Those that leave a task unserved, or whose gain bound cannot reach the best, are skipped
    /// before their scores are read.
    private mutating func leaves(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, dropBelow: Double, chosen: inout [Int],
                                 current: [Double], covered: UInt64, cost: Double, servedSum: Double) {
        let unserved = all & ~covered, costLeft = maxCost - cost + Search.slack
        for (c, bound) in zip(allowed, gains) where bound >= dropBelow && masks[c] & unserved == unserved && costs[c] <= costLeft
            && (!partition || masks[c] & covered == 0) {
            var total = servedSum
            for i in memberStart[c]..<memberStart[c + 1] {
                let s = scoreFlat[i], now = current[memberFlat[i]]
                if !now.isFinite { total += s } else if s > now { total += s - now }
            }
            if bestChosen != nil && total < bestValue - tolerance(bestValue) { continue }
            let next = adding(c, to: current)
            if addingMakesRedundant(c, to: chosen, next) { continue }
            chosen.append(c)
            consider(chosen, total: total)
            chosen.removeLast()
        }
    }

    /// The sum of the `k` largest positive values of `values` (all of them when k is large).
    static func largest(_ k: Int, of values: ArraySlice<Double>) -> Double {
        guard k > 0 else { return 0 }
        if k >= values.count { return values.reduce(0) { $0 + Swift.max(0, $1) } }
        var top = [Double](repeating: 0, count: k)  // ascending
        for v in values where v > top[0] {
            var i = 0
            while i + 1 < k && top[i + 1] < v { top[i] = top[i + 1]; i += 1 }
            top[i] = v
        }
        return top.reduce(0, +)
    }

    /// What every completion from `options` whose objective reaches `target` (exceeds it when
    /// `strict`) needs, or nil if none can. With `upper` each task's best score from the node
    /// and the options, such a completion loses at most σ = Σ upper − target against `upper`,
    /// so a task now below upperₜ − σ must be raised to that level by an added option; a task
    /// not yet served must be served. The options that hit every such task must fit the groups
    /// and the cost left (by counts: the largest hit counts, or a fractional knapsack of them).
    private func requirement(_ options: [Option], target: Double, strict: Bool, upper: [Double], upperSum: Double,
                             current: [Double], covered: UInt64, groupsLeft: Int, costLeft: Double) -> Requirement? {
        let sigma = upperSum - target
        guard strict ? sigma > 0 : sigma >= 0 else { return nil }
        var level = [Double](repeating: -.infinity, count: n)
        var needed = all & ~covered
        if sigma.isFinite {
            for t in 0..<n {
                level[t] = upper[t] - sigma
                if current[t] < level[t] { needed |= 1 << UInt64(t) }
            }
        }
        guard needed != 0 else { return Requirement(needed: 0, hits: [], minGroups: 0) }
        var hits = [UInt64](repeating: 0, count: options.count)
        var union: UInt64 = 0
        var sizes = [Int](repeating: 0, count: 65)
        let n = self.n
        value.withUnsafeBufferPointer { value in
            for (j, option) in options.enumerated() {
                var h: UInt64 = 0, m = masks[option.c] & needed
                let row = option.c * n
                while m != 0 {
                    let t = m.trailingZeroBitCount
                    if value[row + t] >= level[t] { h |= 1 << UInt64(t) }
                    m &= m - 1
                }
                hits[j] = h
                union |= h
                sizes[h.nonzeroBitCount] += 1
            }
        }
        guard union & needed == needed else { return nil }
        let total = needed.nonzeroBitCount
        var minGroups = 0, reached = 0
        for size in stride(from: 64, through: 1, by: -1) where sizes[size] > 0 && reached < total {
            let take = Swift.min(sizes[size], (total - reached + size - 1) / size)
            minGroups += take
            reached += take * size
        }
        // Needed tasks that no option hits together each take a group of their own: picked
        // greedily, those hit by the fewest options first.
        var together = [UInt64](repeating: 0, count: n), hitters = [Int](repeating: 0, count: n)
        for h in hits where h != 0 {
            var m = h
            while m != 0 {
                let t = m.trailingZeroBitCount
                together[t] |= h
                hitters[t] += 1
                m &= m - 1
            }
        }
        var apart: UInt64 = 0
        for t in (0..<n).filter({ needed & (1 << UInt64($0)) != 0 }).sorted(by: { hitters[$0] < hitters[$1] }) where together[t] & apart == 0 {
            apart |= 1 << UInt64(t)
        }
        minGroups = Swift.max(minGroups, apart.nonzeroBitCount)
        guard minGroups <= groupsLeft else { return nil }
        if costLeft.isFinite {
            var covers: [(count: Double, cost: Double)] = []
            for (j, option) in options.enumerated() where hits[j] != 0 { covers.append((Double(hits[j].nonzeroBitCount), costs[option.c])) }
            covers.sort { $0.count * $1.cost > $1.count * $0.cost }
            var reachable = 0.0, left = costLeft
            for cover in covers {
                if cover.cost <= left { reachable += cover.count; left -= cover.cost } else { reachable += cover.count * Swift.max(0, left) / cover.cost; break }
            }
            guard reachable + Search.slack >= Double(total) else { return nil }
        }
        return Requirement(needed: needed, hits: hits, minGroups: minGroups)
    }

    /// Bounds on the objective of the selections that add options[j] or later options to the
    /// node (`limits`, non-increasing in j: the search stops at the first too low), and of those
    /// that add options[j] and then only later ones (`children`: that child is skipped).
    ///
    /// Each is the smallest of the Lagrangian bounds at two multiplier vectors — the tuned ones,
    /// and the node's own scores (for a task not yet served, the lowest any candidate gives it),
    /// which sees what each task still lacks — and each task's best score from the options from
    /// j on. A Lagrangian bound is Σₜ μₜ plus the r largest reduced values (r groups left), or
    /// their fractional knapsack within the cost left; the options are in the order of the tuned
    /// values per cost, so each suffix's knapsack is a run of it (found by bisection).
    private func suffixBounds(_ options: [Option], knapsackOrder: Bool, current: [Double], covered: UInt64, groupsLeft: Int,
                              costLeft: Double) -> (limits: [Double], children: [Double]) {
        let m = options.count
        var tunedBase = 0.0, ownBase = 0.0
        for t in 0..<n {
            tunedBase += Swift.max(lambda[t], current[t])
            ownBase += covered & (1 << UInt64(t)) != 0 ? current[t] : floor[t]
        }
        var limits = [Double](repeating: .infinity, count: m), children = limits
        let k = Swift.min(groupsLeft, m)
        for (base, reduced) in [(tunedBase, options.map(\.v)), (ownBase, options.map(\.own))] {
            // The k largest reduced values of each suffix, and the k - 1 largest after each option.
            var all = LargestSum(k, of: m), others = LargestSum(k - 1, of: m)
            for j in stride(from: m - 1, through: 0, by: -1) {
                children[j] = Swift.min(children[j], base + reduced[j] + others.sum)
                all.insert(reduced[j])
                others.insert(reduced[j])
                limits[j] = Swift.min(limits[j], base + all.sum)
            }
        }
        if costLeft.isFinite && knapsackOrder {
            // Tuned values: the options are in knapsack order, so prefix sums give every suffix's.
            var costSum = [0.0], valueSum = [0.0]
            var positive = 0
            while positive < m && options[positive].v > 0 {
                costSum.append(costSum[positive] + costs[options[positive].c])
                valueSum.append(valueSum[positive] + options[positive].v)
                positive += 1
            }
            func knapsack(from start: Int, budget: Double) -> Double {
                guard start < positive, budget > 0 else { return 0 }
                // The last e with costSum[e] - costSum[start] <= budget: items start..<e fit whole.
                var (low, high) = (start, positive)
                while low < high {
                    let mid = (low + high + 1) / 2
                    if costSum[mid] - costSum[start] <= budget + Search.slack { low = mid } else { high = mid - 1 }
                }
                var total = valueSum[low] - valueSum[start]
                if low < positive {
                    let left = budget - (costSum[low] - costSum[start])
                    total += options[low].v * Swift.max(0, left) / costs[options[low].c]
                }
                return total
            }
            for j in 0..<m {
                limits[j] = Swift.min(limits[j], tunedBase + knapsack(from: j, budget: costLeft))
                children[j] = Swift.min(children[j], tunedBase + options[j].v + knapsack(from: j + 1, budget: costLeft - costs[options[j].c]))
            }
        }
        if costLeft.isFinite {
            // Otherwise (and for the own values): each suffix's knapsack where that is cheap, else
            // that of all options.
            for (base, reduced) in [(ownBase, options.map { (c: $0.c, v: $0.own) })] + (knapsackOrder ? [] : [(tunedBase, options.map { (c: $0.c, v: $0.v) })]) {
                if m <= 200 {
                    for j in 0..<m { limits[j] = Swift.min(limits[j], base + fractionalKnapsack(Array(reduced[j...]), costLeft: costLeft)) }
                } else {
                    let whole = base + fractionalKnapsack(reduced, costLeft: costLeft)
                    for j in 0..<m { limits[j] = Swift.min(limits[j], whole) }
                }
            }
        }
        // Each task's best score from the options from j on (or its own): the bound that sees that
        // a task takes the maximum, not the sum, of what the groups give it.
        var best = current, total = current.reduce(0, +)
        scoreFlat.withUnsafeBufferPointer { score in
            memberFlat.withUnsafeBufferPointer { flat in
                for j in stride(from: m - 1, through: 0, by: -1) {
                    let c = options[j].c
                    for i in memberStart[c]..<memberStart[c + 1] {
                        let t = flat[i], s = score[i]
                        guard s > best[t] else { continue }
                        total += best[t].isFinite ? s - best[t] : .nan
                        best[t] = s
                    }
                    if total.isNaN { total = best.reduce(0, +) }
                    limits[j] = Swift.min(limits[j], total)
                }
            }
        }
        // A later suffix is a subset: keep the sequence non-increasing; a child is in its suffix.
        for j in limits.indices.dropFirst() { limits[j] = Swift.min(limits[j], limits[j - 1]) }
        for j in limits.indices { children[j] = Swift.min(children[j], limits[j]) }
        return (limits, children)
    }

    /// The fractional-knapsack bound of reduced values within the cost left.
    private func fractionalKnapsack(_ options: [(c: Int, v: Double)], costLeft: Double) -> Double {
        var total = 0.0, left = costLeft
        for option in options.sorted(by: { $0.v * costs[$1.c] > $1.v * costs[$0.c] }) where option.v > 0 {
            guard left > Search.slack else { break }
            let cost = costs[option.c]
            if cost <= left { total += option.v; left -= cost } else { total += option.v * left / cost; left = 0 }
        }
        return total
    }

    // MARK: Root

    /// A first selection: repeatedly add the affordable candidate that serves the most unserved
    /// tasks, then the one with the largest gain, while the budget lasts.
    private mutating func greedy() {
        var current = [Double](repeating: -.infinity, count: n), chosen: [Int] = []
        var covered: UInt64 = 0, cost = 0.0
        while chosen.count < maxGroups {
            var best: (c: Int, cover: Int, gain: Double)?
            for c in 0..<count where cost + costs[c] <= maxCost + Search.slack && (!partition || masks[c] & covered == 0) {
                let cover = (masks[c] & ~covered).nonzeroBitCount
                var gain = 0.0
                for t in members[c] where current[t].isFinite { gain += Swift.max(0, value[c * n + t] - current[t]) }
                let better = best == nil || (covered != all ? (cover, gain) > (best!.cover, best!.gain) : gain > best!.gain)
                if better && (cover > 0 || gain > 0) { best = (c, cover, gain) }
            }
            guard let pick = best else { break }
            current = adding(pick.c, to: current)
            chosen.append(pick.c)
            covered |= masks[pick.c]
            cost += costs[pick.c]
        }
        guard covered == all else { return }
        improveBySwaps(chosen)
    }

    /// The objective of `set` if it is a feasible selection.
    private func evaluate(_ set: [Int]) -> Double? {
        var scores = [Double](repeating: -.infinity, count: n), used: UInt64 = 0, cost = 0.0
        for c in set {
            if partition && masks[c] & used != 0 { return nil }
            used |= masks[c]
            cost += costs[c]
            for t in members[c] { scores[t] = Swift.max(scores[t], value[c * n + t]) }
        }
        guard used == all, cost <= maxCost + Search.slack, set.count <= maxGroups else { return nil }
        return scores.reduce(0, +)
    }

    /// Local search from a selection: replace one group by another (or add one, budget allowing)
    /// while that raises the objective; the result is the first incumbent.
    private mutating func improveBySwaps(_ start: [Int]) {
        var chosen = start
        guard var total = evaluate(chosen) else { return }
        var improved = true
        while improved {
            improved = false
            for position in 0...chosen.count {
                for c in 0..<count where !chosen.contains(c) {
                    var trial = chosen
                    if position == chosen.count { trial.append(c) } else { trial[position] = c }
                    if let v = evaluate(trial), v > total + tolerance(total) {
                        (chosen, total, improved) = (trial, v, true)
                    }
                }
            }
        }
        // Drop groups that serve no task better than the others (same scores, fewer groups).
        var current = [Double](repeating: -.infinity, count: n)
        for c in chosen { current = adding(c, to: current) }
        while let a = chosen.first(where: { a in redundant(a, among: chosen, plus: a, current) }) { chosen.removeAll { $0 == a } }
        consider(chosen, total: evaluate(chosen) ?? total)
    }

    /// Subgradient steps on the multipliers (Polyak step against the best selection known).
    private mutating func tuneMultipliers() {
        let groups = Swift.min(maxGroups, affordable(maxCost), count)
        var bestBound = Double.infinity, bestLambda = lambda
        var theta = 1.0, stall = 0
        for _ in 0..<300 {
            let reduced = (0..<count).map { c in members[c].reduce(0.0) { $0 + Swift.max(0, value[c * n + $1] - lambda[$1]) } }
            // The relaxation's best choice: the cost knapsack where a cost budget binds more than the
            // count (the same relaxation as the search's bound), else the largest reduced values.
            var picked = (0..<count).sorted { reduced[$0] > reduced[$1] }.prefix(groups).filter { reduced[$0] > 0 }.map { (c: $0, share: 1.0) }
            if maxCost.isFinite {
                var knapsack: [(c: Int, share: Double)] = [], left = maxCost
                for c in (0..<count).sorted(by: { reduced[$0] * costs[$1] > reduced[$1] * costs[$0] }) where reduced[c] > 0 {
                    guard left > Search.slack else { break }
                    let share = Swift.min(1, left / costs[c])
                    knapsack.append((c, share))
                    left -= costs[c] * share
                }
                let value = { (p: [(c: Int, share: Double)]) in p.reduce(0.0) { $0 + reduced[$1.c] * $1.share } }
                if maxGroups == Int.max || value(knapsack) < value(picked) { picked = knapsack }
            }
            let bound = lambda.reduce(0, +) + picked.reduce(0.0) { $0 + reduced[$1.c] * $1.share }
            if bound < bestBound - 1e-12 { (bestBound, bestLambda, stall) = (bound, lambda, 0) } else {
                stall += 1
                if stall >= 10 { theta /= 2; stall = 0 }
            }
            var gradient = [Double](repeating: 1, count: n)
            for (c, share) in picked { for t in members[c] where value[c * n + t] > lambda[t] { gradient[t] -= share } }
            let norm = gradient.reduce(0) { $0 + $1 * $1 }
            guard norm > 0, theta > 1e-6 else { break }
            let target = bestChosen != nil ? bestValue : bound - Swift.max(1, abs(bound)) * 0.05
            let step = theta * Swift.max(bound - target, 1e-9 * Swift.max(1, abs(bound))) / norm
            for t in 0..<n { lambda[t] -= step * gradient[t] }
        }
        lambda = bestLambda
    }
}
