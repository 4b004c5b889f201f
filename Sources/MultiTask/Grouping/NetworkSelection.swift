import Foundation

/// Exact network selection by branch and bound with Lagrangian bounds.
///
/// Relaxing "each task is served by exactly one chosen group" with a multiplier λₜ per task
/// (as for facility location) bounds every selection of at most r more groups by
///
///   Σₜ μₜ + (sum of the r largest vᶜ),  vᶜ = Σ_{t ∈ c} max(0, sᶜₜ − μₜ),  μₜ = max(λₜ, currentₜ),
///
/// for any λ (a fractional knapsack of the vᶜ under a cost budget). The multipliers are tuned once
/// by subgradient steps against a greedy selection; then the search enumerates sets of
/// candidates, each node ordering its remaining candidates by vᶜ so that the bound of "the j-th
/// next" falls with j and the loop stops at the first that cannot win. A candidate that improves
/// no task is never added, and one that an earlier candidate dominates (a superset, at least as
/// good on each of its tasks, at no more cost) is dropped first.
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

/// The search of `NetworkSelection` (values are maximised: losses are negated).
struct Search {
    let n: Int
    let value: [Double]            // value[c * n + t], -inf when c does not serve t
    let count: Int                 // candidates kept
    let members: [[Int]]
    let memberFlat: [Int]          // every candidate's members, one after another
    let memberStart: [Int]         // candidate c's members: memberFlat[memberStart[c]..<memberStart[c + 1]]
    let masks: [UInt64]
    let costs: [Double]
    let original: [Int]            // candidate index in the problem
    let floor: [Double]            // per task: the lowest score any candidate gives it
    let maxGroups: Int, maxCost: Double
    let partition: Bool
    let all: UInt64
    var lambda: [Double]
    var nodes = 0
    /// While ties with the optimum are sought: the lowest objective that counts as one.
    var tieFloor: Double?
    nonisolated(unsafe) static var work = 0
    var rootBound = 0.0
    private(set) var bestValue = -Double.infinity
    private(set) var bestChosen: [Int]?
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
        let keptMembers = kept.map { problem.candidates[$0].members }
        memberFlat = keptMembers.flatMap { $0 }
        memberStart = keptMembers.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        members = kept.map { problem.candidates[$0].members }
        self.masks = kept.map { masks[$0] }
        self.costs = kept.map { costs[$0] }
        original = kept
        floor = (0..<n).map { t in keptRows.map { $0[t] }.filter(\.isFinite).min() ?? -.infinity }
        maxGroups = problem.budget.maxGroups ?? Int.max
        maxCost = problem.budget.maxCost ?? .infinity
        partition = problem.partition
        all = n == 64 ? UInt64.max : (UInt64(1) << UInt64(n)) - 1
        // Start each multiplier at the task's best score: no candidate looks better than that.
        let tasks = n
        lambda = (0..<tasks).map { t in keptRows.map { $0[t] }.filter(\.isFinite).max() ?? 0 }
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
        let t0 = Date()
        greedy()
        FileHandle.standardError.write("greedy \(bestValue) \(bestChosen ?? []) \(Date().timeIntervalSince(t0))\n".data(using: .utf8)!)
        tuneMultipliers()
        FileHandle.standardError.write("tune \(Date().timeIntervalSince(t0)) root bound \(rootBound)\n".data(using: .utf8)!)
        var current = [Double](repeating: -.infinity, count: n)
        var chosen: [Int] = []
        search(Array(0..<count), chosen: &chosen, current: &current, covered: 0, cost: 0)
        FileHandle.standardError.write("phase1 \(bestValue) nodes \(nodes) work \(Search.work) \(Date().timeIntervalSince(t0))\n".data(using: .utf8)!)
        if bestChosen != nil { preferTies() }
        FileHandle.standardError.write("phase2 \(Date().timeIntervalSince(t0))\n".data(using: .utf8)!)
        bestChosen = bestChosen.map { $0.map { original[$0] }.sorted() }
    }

    /// Two objectives this close are a tie (sums of the same numbers in another order differ in
    /// their last bits).
    private var tolerance: Double { Search.slack * Swift.max(1, abs(bestValue)) }

    /// Records `chosen` (which serves every task) if it beats the best so far, or, when ties are
    /// sought, if it reaches the optimum and is preferred to the best tie.
    private mutating func consider(_ chosen: [Int], _ current: [Double]) {
        let total = current.reduce(0, +), sorted = chosen.sorted()
        if let floor = tieFloor {
            if total >= floor, let best = bestChosen, Search.preferred(sorted, over: best) { bestChosen = sorted }
        } else if bestChosen == nil || total > bestValue + tolerance {
            (bestValue, bestChosen) = (total, sorted)
        }
    }

    /// Among the selections that tie with the optimum (within 1e-9 relative), the one with the
    /// fewest groups and then the earliest candidates: the same search again, now keeping every
    /// branch that can reach the optimum and no more groups than the best tie so far.
    private mutating func preferTies() {
        tieFloor = bestValue - tolerance
        var current = [Double](repeating: -.infinity, count: n)
        var chosen: [Int] = []
        search(Array(0..<count), chosen: &chosen, current: &current, covered: 0, cost: 0)
        tieFloor = nil
    }

    /// Between tied selections: fewer groups, then the earlier candidates (lexicographically).
    static func preferred(_ a: [Int], over b: [Int]) -> Bool {
        a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
    }

    /// Candidate `c` added to scores `current`.
    private func adding(_ c: Int, to current: [Double]) -> [Double] {
        var next = current
        for t in members[c] { next[t] = Swift.max(next[t], value[(c) * n + t]) }
        return next
    }

    /// Whether group `a` of `chosen` serves no task better than the other chosen groups do.
    private func redundant(_ a: Int, among chosen: [Int], _ current: [Double]) -> Bool {
        members[a].allSatisfy { t in
            value[(a) * n + t] < current[t] || chosen.contains { $0 != a && masks[$0] & (1 << UInt64(t)) != 0 && value[($0) * n + t] >= value[(a) * n + t] }
        }
    }

    /// Whether `c` raises some task's score above `current`.
    private func improves(_ c: Int, _ current: [Double]) -> Bool {
        members[c].contains { value[(c) * n + $0] > current[$0] }
    }

    /// The node: `chosen` (serving `current`), and the candidates that may still be added.
    private mutating func search(_ allowed: [Int], chosen: inout [Int], current: inout [Double], covered: UInt64, cost: Double) {
        nodes += 1
        if nodes % 100000 == 0 { FileHandle.standardError.write("nodes \(nodes) best \(bestValue) depth \(chosen.count)\n".data(using: .utf8)!) }
        if covered == all { consider(chosen, current) }
        let groupsLeft = maxGroups == Int.max ? Int.max : maxGroups - chosen.count
        guard groupsLeft > 0, !allowed.isEmpty else { return }
        let costLeft = maxCost - cost
        var options = candidates(allowed, current: current, covered: covered, costLeft: costLeft)
        options.sort { $0.v != $1.v ? $0.v > $1.v : $0.c < $1.c }
        // Coverage: the unserved tasks need enough of what is left.
        let unserved = all & ~covered
        if unserved != 0 && !coverable(unserved, options.map(\.c), groupsLeft: groupsLeft, costLeft: costLeft) { return }
        let limits = suffixBounds(options, current: current, covered: covered, groupsLeft: groupsLeft, costLeft: costLeft)
        for j in options.indices {
            let limit = limits[j]
            if let floor = tieFloor {
                if limit < floor || chosen.count + 1 > bestChosen!.count { break }
            } else if bestChosen != nil && limit <= bestValue + tolerance { break }
            let c = options[j].c
            var next = adding(c, to: current)
            // A group the new one makes redundant (it no longer serves any task better than the
            // others) leaves only selections that tie with a smaller one: not worth reaching.
            if chosen.contains(where: { redundant($0, among: chosen + [c], next) }) { continue }
            chosen.append(c)
            let rest = options[(j + 1)...].map(\.c)
            search(rest, chosen: &chosen, current: &next, covered: covered | masks[c], cost: cost + costs[c])
            chosen.removeLast()
        }
    }

    /// The candidates of `allowed` worth adding to `current`: affordable, disjoint from the served
    /// tasks in a partition, and raising some task's score; with their reduced values vᶜ at the
    /// tuned multipliers (the search's order).
    private func candidates(_ allowed: [Int], current: [Double], covered: UInt64, costLeft: Double) -> [(c: Int, v: Double)] {
        let mu = (0..<n).map { Swift.max(lambda[$0], current[$0]) }
        Search.work += allowed.count
        var options: [(c: Int, v: Double)] = []
        options.reserveCapacity(allowed.count)
        let n = self.n
        value.withUnsafeBufferPointer { value in
            memberFlat.withUnsafeBufferPointer { flat in
                for c in allowed where costs[c] <= costLeft + Search.slack && (!partition || masks[c] & covered == 0) {
                    var v = 0.0, improves = false
                    for i in memberStart[c]..<memberStart[c + 1] {
                        let t = flat[i], s = value[c * n + t]
                        if s > current[t] { improves = true }
                        v += Swift.max(0, s - mu[t])
                    }
                    if improves { options.append((c, v)) }
                }
            }
        }
        return options
    }

    /// Σ over c's members of max(0, score − reference).
    @inline(__always)
    private func reduced(_ c: Int, _ reference: UnsafeBufferPointer<Double>, _ value: UnsafeBufferPointer<Double>, _ flat: UnsafeBufferPointer<Int>) -> Double {
        var v = 0.0
        for i in memberStart[c]..<memberStart[c + 1] {
            let t = flat[i]
            v += Swift.max(0, value[c * n + t] - reference[t])
        }
        return v
    }

    /// For each j, an upper bound on the objective of every selection that adds options[j] or
    /// later options to the node: the smaller of the Lagrangian bounds at two multiplier vectors
    /// — the tuned ones, and the node's own scores (for a task not yet served, the lowest any
    /// candidate gives it), which sees what each task still lacks. Each is Σₜ μₜ plus the k largest
    /// reduced values among the options from j on (k groups left), or their fractional knapsack
    /// within the cost left. Non-increasing in j.
    private func suffixBounds(_ options: [(c: Int, v: Double)], current: [Double], covered: UInt64, groupsLeft: Int, costLeft: Double) -> [Double] {
        let tuned = (0..<n).map { Swift.max(lambda[$0], current[$0]) }
        let own = (0..<n).map { covered & (1 << UInt64($0)) != 0 ? current[$0] : floor[$0] }
        var limits = [Double](repeating: .infinity, count: options.count)
        let ownReduced = value.withUnsafeBufferPointer { value in
            memberFlat.withUnsafeBufferPointer { flat in own.withUnsafeBufferPointer { own in options.map { reduced($0.c, own, value, flat) } } }
        }
        for (mu, reduced) in [(tuned, options.map(\.v)), (own, ownReduced)] {
            let base = mu.reduce(0, +)
            // The k largest reduced values of each suffix (k small: kept in a sorted buffer).
            var top: [Double] = [], sum = 0.0
            let k = Swift.min(groupsLeft, options.count)
            for j in options.indices.reversed() {
                let v = reduced[j]
                if k >= options.count { sum += Swift.max(0, v) } else if top.count < k {
                    top.append(v)
                    sum += v
                    top.sort()
                } else if let smallest = top.first, v > smallest {
                    sum += v - smallest
                    top[0] = v
                    top.sort()
                }
                var limit = base + sum
                if costLeft.isFinite { limit = Swift.min(limit, base + knapsack(Array(j..<options.count).map { (options[$0].c, reduced[$0]) }, costLeft: costLeft)) }
                limits[j] = Swift.min(limits[j], limit)
            }
        }
        // Each task's best score from the options from j on (or its own): the bound that sees that
        // a task takes the maximum, not the sum, of what the groups give it.
        var best = current, total = current.reduce(0, +)
        let n = self.n
        value.withUnsafeBufferPointer { value in
            memberFlat.withUnsafeBufferPointer { flat in
                for j in options.indices.reversed() {
                    let c = options[j].c
                    for i in memberStart[c]..<memberStart[c + 1] {
                        let t = flat[i], s = value[c * n + t]
                        guard s > best[t] else { continue }
                        total += best[t].isFinite ? s - best[t] : .nan
                        best[t] = s
                    }
                    if total.isNaN { total = best.reduce(0, +) }
                    limits[j] = Swift.min(limits[j], total)
                }
            }
        }
        // A later suffix is a subset: keep the sequence non-increasing.
        for j in options.indices.dropFirst() { limits[j] = Swift.min(limits[j], limits[j - 1]) }
        return limits
    }

    /// The fractional-knapsack bound of reduced values within the cost left.
    private func knapsack(_ options: [(c: Int, v: Double)], costLeft: Double) -> Double {
        var total = 0.0, left = costLeft
        for option in options.sorted(by: { $0.v * costs[$1.c] > $1.v * costs[$0.c] }) where option.v > 0 {
            guard left > Search.slack else { break }
            let cost = costs[option.c]
            if cost <= left { total += option.v; left -= cost } else { total += option.v * left / cost; left = 0 }
        }
        return total
    }

    /// Whether `candidates` could serve every task in `unserved` within the groups and cost left
    /// (by counts: the largest coverages, or a fractional knapsack of them).
    private func coverable(_ unserved: UInt64, _ candidates: [Int], groupsLeft: Int, costLeft: Double) -> Bool {
        let needed = unserved.nonzeroBitCount
        var union: UInt64 = 0
        for c in candidates { union |= masks[c] }
        guard union & unserved == unserved else { return false }
        let covers = candidates.map { ((masks[$0] & unserved).nonzeroBitCount, costs[$0]) }.filter { $0.0 > 0 }
        if groupsLeft < covers.count {
            let best = covers.map(\.0).sorted(by: >).prefix(groupsLeft).reduce(0, +)
            if best < needed { return false }
        }
        if costLeft.isFinite {
            var total = 0.0, left = costLeft
            for (count, cost) in covers.sorted(by: { Double($0.0) * $1.1 > Double($1.0) * $0.1 }) {
                if cost <= left { total += Double(count); left -= cost } else { total += Double(count) * left / cost; break }
            }
            if total + Search.slack < Double(needed) { return false }
        }
        return true
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
                for t in members[c] where current[t].isFinite { gain += Swift.max(0, value[(c) * n + t] - current[t]) }
                let better = best == nil || (covered != all ? (cover, gain) > (best!.cover, best!.gain) : gain > best!.gain)
                if better && (cover > 0 || gain > 0) { best = (c, cover, gain) }
            }
            guard let pick = best else { break }
            current = adding(pick.c, to: current)
            chosen.append(pick.c)
            covered |= masks[pick.c]
            cost += costs[pick.c]
        }
        while let a = chosen.first(where: { redundant($0, among: chosen, current) }) { chosen.removeAll { $0 == a } }
        guard covered == all else { return }
        consider(chosen, current)
        improveBySwaps(chosen)
    }

    /// Local search from a selection: replace one group by another (or add one, budget allowing)
    /// while that raises the objective.
    private mutating func improveBySwaps(_ start: [Int]) {
        var chosen = start
        func evaluate(_ set: [Int]) -> Double? {
            var scores = [Double](repeating: -.infinity, count: n), used: UInt64 = 0, cost = 0.0
            for c in set {
                if partition && masks[c] & used != 0 { return nil }
                used |= masks[c]
                cost += costs[c]
                for t in members[c] { scores[t] = Swift.max(scores[t], value[(c) * n + t]) }
            }
            guard used == all, cost <= maxCost + Search.slack, set.count <= maxGroups else { return nil }
            return scores.reduce(0, +)
        }
        guard var total = evaluate(chosen) else { return }
        var improved = true
        while improved {
            improved = false
            for position in 0...chosen.count {
                for c in 0..<count where !chosen.contains(c) {
                    var trial = chosen
                    if position == chosen.count { trial.append(c) } else { trial[position] = c }
                    if let v = evaluate(trial), v > total + Search.slack * Swift.max(1, abs(total)) {
                        (chosen, total, improved) = (trial, v, true)
                    }
                }
            }
        }
        var current = [Double](repeating: -.infinity, count: n)
        for c in chosen { current = adding(c, to: current) }
        consider(chosen, current)
    }

    /// Subgradient steps on the multipliers (Polyak step against the best selection known).
    private mutating func tuneMultipliers() {
        let groups = maxGroups == Int.max ? count : Swift.min(maxGroups, count)
        var bestBound = Double.infinity, bestLambda = lambda
        var theta = 1.0, stall = 0
        for _ in 0..<300 {
            let reduced = (0..<count).map { c in members[c].reduce(0.0) { $0 + Swift.max(0, value[(c) * n + $1] - lambda[$1]) } }
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
            for (c, share) in picked { for t in members[c] where value[(c) * n + t] > lambda[t] { gradient[t] -= share } }
            let norm = gradient.reduce(0) { $0 + $1 * $1 }
            guard norm > 0, theta > 1e-6 else { break }
            let target = bestChosen != nil ? bestValue : bound - Swift.max(1, abs(bound)) * 0.05
            let step = theta * Swift.max(bound - target, 1e-9 * Swift.max(1, abs(bound))) / norm
            for t in 0..<n { lambda[t] -= step * gradient[t] }
        }
        lambda = bestLambda
        rootBound = bestBound
    }
}
