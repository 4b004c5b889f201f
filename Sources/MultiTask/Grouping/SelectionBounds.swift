import Foundation

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

/// The bounds of `NetworkSelection`'s search: what the remaining budget could still add, and what
/// an added group must raise.
extension Search {
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
    func requirement(_ options: [Option], target: Double, strict: Bool, upper: [Double], upperSum: Double,
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
    func suffixBounds(_ options: [Option], knapsackOrder: Bool, current: [Double], covered: UInt64, groupsLeft: Int,
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
    func fractionalKnapsack(_ options: [(c: Int, v: Double)], costLeft: Double) -> Double {
        var total = 0.0, left = costLeft
        for option in options.sorted(by: { $0.v * costs[$1.c] > $1.v * costs[$0.c] }) where option.v > 0 {
            guard left > Search.slack else { break }
            let cost = costs[option.c]
            if cost <= left { total += option.v; left -= cost } else { total += option.v * left / cost; left = 0 }
        }
        return total
    }
}
