import Foundation

/// The branch and bound of `NetworkSelection`: nodes, their children, and the selections at its leaves.
extension Search {
    // MARK: The search

    /// The node: `chosen` (serving `current`, covering `covered`, costing `cost`), and the
    /// candidates that may still be added (`allowed`, in the parent's order), each with a bound
    /// on what it can add (`gains`: its gain over an ancestor's scores, see `gather`). Only
    /// selections of at most `limit` groups are sought below it; `exact`: only those of `limit`
    /// (an ancestor has searched the smaller ones).
    mutating func search(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, limit: Int, exact: Bool = false, chosen: inout [Int],
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
    mutating func expand(_ options: [Option], ids: [Int], owns: [Double], need: Requirement, last: Int, groupsLeft: Int, size: Int?,
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
    func canHitRest(_ need: Requirement, hitters: [Int], after j: Int, groupsLeft: Int) -> Bool {
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
    func canTie(_ best: [Int], chosen: [Int], minGroups: Int, options: [Option]) -> Bool {
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
    func gather(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, dropBelow: Double, current: [Double], covered: UInt64,
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
    mutating func leaves(_ allowed: ArraySlice<Int>, gains: ArraySlice<Double>, dropBelow: Double, chosen: inout [Int],
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
}
