import Foundation
import Tensors

/// Every grouping estimator scored against the ground truth (`mtk evaluate-groupings`).
///
/// For each budget of k groups, each estimator selects groups from its own matrix (affinities:
/// mean affinity onto each member, single-task groups not allowed, as in TAG; loss matrices from
/// pairwise training: HOA, with the diagonal for single tasks). The chosen groups are then
/// "trained" — read from the ground truth — and each task is served by the chosen group with its
/// lowest validation loss and scored by that network's test loss (Standley et al.'s protocol).
/// Against: the optimum (network selection on the ground truth's validation losses), the mean and
/// worst of seeded random partitions into k groups, all tasks in one network, one per task.
/// Also each estimator's rank correlation with pairwise training and its compute as a fraction
/// of the ground truth's.
public struct GroupingEvaluation: Sendable, Codable, Equatable {
    /// One grouping: its groups, mean test loss over the tasks, gap to the optimum, Δm%.
    public struct Row: Sendable, Codable, Equatable {
        public var name: String
        public var groups: [[String]]
        public var testLoss: Double
        /// (testLoss − optimum) / optimum × 100: positive = worse than the optimum.
        public var gapPercent: Double
        /// Against one network per task, on the test metrics (positive = better; LibMTL's Δm%).
        public var deltaM: Double
    }

    public struct Budget: Sendable, Codable, Equatable {
        public var maxGroups: Int
        public var rows: [Row]
    }

    public struct EstimatorSummary: Sendable, Codable, Equatable {
        public var name: String
        /// Spearman's ρ between the estimator's pairwise values and pairwise training's relative
        /// gains (L(a) − L(a | b)) / L(a) on validation, over all ordered pairs.
        public var rankCorrelation: Double
        /// The estimator's compute over the ground truth's (CPU seconds), when both were recorded.
        public var computeFraction: Double?
        /// The mean gap to the optimum over the budgets.
        public var meanGapPercent: Double
    }

    public var tasks: [String]
    public var budgets: [Budget]
    public var estimators: [EstimatorSummary]
    public var randomSamples: Int
    public var seed: UInt64
    public var groundTruthSeconds: Double?

    /// Scores `estimators` (named matrices) on `truth` at each budget in `maxGroups`.
    public static func evaluate(_ truth: GroundTruth, estimators: [(name: String, matrix: AffinityMatrix)], maxGroups: [Int],
                                randomSamples: Int = 1000, seed: UInt64 = 0, groundTruthSeconds: Double? = nil) throws -> GroupingEvaluation {
        let n = truth.tasks.count
        guard !maxGroups.isEmpty, maxGroups.allSatisfy({ (1...n).contains($0) }) else {
            throw ConfigurationError("budgets: each must be between 1 and \(n) groups (the tasks), got \(maxGroups)")
        }
        guard (0...1_000_000).contains(randomSamples) else { throw ConfigurationError("random samples must be between 0 and 1000000, got \(randomSamples)") }
        for (name, matrix) in estimators {
            guard Set(matrix.tasks) == Set(truth.tasks), matrix.tasks.count == n else {
                throw ConfigurationError("estimator '\(name)': its tasks (\(matrix.tasks.joined(separator: ", "))) are not the ground truth's (\(truth.tasks.joined(separator: ", ")))")
            }
            let offDiagonal = truth.tasks.flatMap { a in truth.tasks.filter { $0 != a }.map { matrix.value(from: a, to: $0)! } }
            guard offDiagonal.allSatisfy(\.isFinite) else { throw ConfigurationError("estimator '\(name)': its matrix has values that are not finite numbers") }
            if matrix.lowerIsBetter == true, let bad = truth.tasks.first(where: { !(matrix.value(from: $0, to: $0)!.isFinite) }) {
                throw ConfigurationError("estimator '\(name)': a loss matrix needs each task's single-task loss on the diagonal; '\(bad)' has none")
            }
        }
        if Set(estimators.map(\.name)).count != estimators.count { throw ConfigurationError("estimators: each needs its own name, got \(estimators.map(\.name))") }
        for (name, _) in estimators {
            guard !name.isEmpty, !name.contains("|"), !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
                throw ConfigurationError("estimator name '\(name)': must be non-empty, without '|' or control characters (it heads a table row)")
            }
            guard !["optimum", "all tasks in one network", "one network per task"].contains(name), !name.hasPrefix("random") else {
                throw ConfigurationError("estimator name '\(name)' is taken by a reference row; name it NAME=FILE")
            }
        }
        guard Set(maxGroups).count == maxGroups.count else { throw ConfigurationError("budgets: each at most once, got \(maxGroups)") }
        let scorer = GroupingScore(networks: truth.networks, singles: Evaluation(tasks: truth.tasks.map { truth.network([$0])!.test[$0]! }), tasks: truth.tasks)
        var budgets: [Budget] = []
        var gaps: [String: [Double]] = [:]
        for k in maxGroups {
            let optimal = try NetworkSelection.solve(truth.problem(.validation, budget: SelectionBudget(maxGroups: k)))
            let optimalGroups = optimal.chosen.map { truth.networks[$0].tasks }
            // Every grouping here serves every task from networks of the truth: always scored.
            let optimum = scorer.score(optimalGroups)!
            func row(_ name: String, _ groups: [[String]]) -> Row {
                let scored = scorer.score(groups)!
                return Row(name: name, groups: groups, testLoss: scored.test, gapPercent: (scored.test - optimum.test) / optimum.test * 100, deltaM: scored.deltaM!)
            }
            var rows = [row("optimum", optimalGroups)]
            for (name, matrix) in estimators {
                let estimated = row(name, try choose(matrix, maxGroups: k, order: truth.tasks))
                rows.append(estimated)
                gaps[name, default: []].append(estimated.gapPercent)
            }
            if randomSamples > 0 {
                var generator = RandomGenerator(seed: seed ^ (UInt64(k) &* 0x9E37_79B9_7F4A_7C15))  // per budget: the same whichever budgets are asked
                var sampled: [Row] = []
                for _ in 0..<randomSamples { sampled.append(row("random", randomPartition(truth.tasks, groups: k, using: &generator))) }
                let worst = sampled.max { $0.testLoss < $1.testLoss }!
                let mean = sampled.reduce(0.0) { $0 + $1.testLoss } / Double(sampled.count)
                rows.append(Row(name: "random (mean of \(randomSamples))", groups: [], testLoss: mean, gapPercent: (mean - optimum.test) / optimum.test * 100,
                                deltaM: sampled.reduce(0.0) { $0 + $1.deltaM } / Double(sampled.count)))
                var worstRow = worst
                worstRow.name = "random (worst of \(randomSamples))"
                rows.append(worstRow)
            }
            rows.append(row("all tasks in one network", [truth.tasks]))
            rows.append(row("one network per task", truth.tasks.map { [$0] }))
            budgets.append(Budget(maxGroups: k, rows: rows))
        }
        let gains = pairwiseGains(truth)
        let summaries = estimators.map { name, matrix in
            EstimatorSummary(name: name, rankCorrelation: RankCorrelation.spearman(estimatorValues(matrix, tasks: truth.tasks), gains),
                             computeFraction: matrix.computeSeconds.flatMap { seconds in groundTruthSeconds.flatMap { $0 > 0 ? seconds / $0 : nil } },
                             meanGapPercent: gaps[name]!.reduce(0, +) / Double(gaps[name]!.count))
        }
        return GroupingEvaluation(tasks: truth.tasks, budgets: budgets, estimators: summaries, randomSamples: randomSamples, seed: seed, groundTruthSeconds: groundTruthSeconds)
    }

    /// The groups network selection chooses from an estimator's pairwise matrix within `maxGroups`
    /// networks: affinities as higher-is-better pair scores (no single-task networks), losses
    /// (pairwise training) by Standley's higher-order approximation with the diagonal as singles.
    /// Members are listed in `order`.
    package static func choose(_ matrix: AffinityMatrix, maxGroups: Int, order: [String]) throws -> [[String]] {
        let losses = matrix.lowerIsBetter == true
        let candidates = try CandidateTables.fromPairs(matrix, singletons: losses ? .diagonal : .forbidden)
        let problem = SelectionProblem(tasks: matrix.tasks, candidates: candidates, higherIsBetter: !losses, budget: SelectionBudget(maxGroups: maxGroups))
        let selection = try NetworkSelection.solve(problem)
        let position = { (task: String) in order.firstIndex(of: task) ?? Int.max }
        return selection.chosen.map { candidates[$0].members.map { matrix.tasks[$0] }.sorted { position($0) < position($1) } }
    }

    /// A uniformly random assignment of tasks to `groups` non-empty groups (rejection sampling).
    static func randomPartition(_ tasks: [String], groups: Int, using generator: inout RandomGenerator) -> [[String]] {
        while true {
            let labels = tasks.map { _ in Int(generator.next() % UInt64(groups)) }
            guard Set(labels).count == groups else { continue }
            return (0..<groups).map { g in tasks.indices.filter { labels[$0] == g }.map { tasks[$0] } }
                .sorted { $0.map { tasks.firstIndex(of: $0)! }.lexicographicallyPrecedes($1.map { tasks.firstIndex(of: $0)! }) }
        }
    }

    /// Pairwise training's relative gains (L(a) − L(a | b)) / L(a) on validation, for every
    /// ordered pair (b → a), in a fixed order.
    static func pairwiseGains(_ truth: GroundTruth) -> [Double] {
        truth.tasks.flatMap { b in
            truth.tasks.filter { $0 != b }.map { a in
                let alone = truth.network([a])!.validation[a]!.loss, with = truth.network([a, b])!.validation[a]!.loss
                return (alone - with) / alone
            }
        }
    }

    /// The estimator's value for each ordered pair (b → a), in `pairwiseGains`' order: affinities
    /// as they are, losses as relative gains against its own diagonal.
    static func estimatorValues(_ matrix: AffinityMatrix, tasks: [String]) -> [Double] {
        tasks.flatMap { b in
            tasks.filter { $0 != b }.map { a in
                let value = matrix.value(from: b, to: a)!
                guard matrix.lowerIsBetter == true else { return value }
                let alone = matrix.value(from: a, to: a)!
                return (alone - value) / alone
            }
        }
    }

    // MARK: Report

    /// The tables as Markdown: one per budget, then the estimators' summary.
    public var markdown: String {
        func f(_ x: Double, _ format: String) -> String { x.isNaN ? "undefined" : String(format: format, Swift.abs(x) < 1e-9 ? 0 : x) }
        func groups(_ g: [[String]]) -> String { g.isEmpty ? "-" : g.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: " ") }
        var lines: [String] = []
        for budget in budgets {
            lines += ["### At most \(budget.maxGroups) group\(budget.maxGroups == 1 ? "" : "s")", "",
                      "| grouping | groups | mean test loss | vs optimum | Δm% |", "|---|---|---:|---:|---:|"]
            for row in budget.rows {
                lines.append("| \(row.name) | \(groups(row.groups)) | \(f(row.testLoss, "%.4f")) | \(f(row.gapPercent, "%+.2f%%")) | \(f(row.deltaM, "%+.2f")) |")
            }
            lines.append("")
        }
        lines += ["### Estimators", "", "| estimator | Spearman ρ vs pairwise training | compute / ground truth | mean gap to optimum |", "|---|---:|---:|---:|"]
        for e in estimators {
            lines.append("| \(e.name) | \(f(e.rankCorrelation, "%.3f")) | \(e.computeFraction.map { f($0, "%.3f") } ?? "not recorded") | \(f(e.meanGapPercent, "%+.2f%%")) |")
        }
        lines += ["", "Groups are chosen by each estimator, then every task is served by its chosen network with the lowest validation loss and scored on test; "
                  + "the optimum selects on the ground truth's validation losses. Random: \(randomSamples) uniformly drawn partitions into exactly k groups (seed \(seed))."
                  + (groundTruthSeconds.map { " Compute is in CPU seconds; the ground truth's networks trained for \(f($0, "%.1f")) s." } ?? "")]
        return lines.joined(separator: "\n") + "\n"
    }
}
