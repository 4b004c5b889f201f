import Foundation

/// The start of `NetworkSelection`'s search: a greedy selection improved by swaps, and the
/// Lagrange multipliers tuned by subgradient steps.
extension Search {
    // MARK: Root

    /// A first selection: repeatedly add the affordable candidate that serves the most unserved
    /// tasks, then the one with the largest gain, while the budget lasts.
    mutating func greedy() {
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
    func evaluate(_ set: [Int]) -> Double? {
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
    mutating func improveBySwaps(_ start: [Int]) {
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
    mutating func tuneMultipliers() {
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
