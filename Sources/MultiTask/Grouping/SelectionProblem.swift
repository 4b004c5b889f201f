import Foundation

/// One network that could be trained: the tasks it would serve, a score for each (an estimate or
/// a measurement), and its cost in Standley's units (a full-size network 1.0).
public struct CandidateGroup: Sendable, Equatable, Codable {
    /// Indices into the problem's tasks, ascending.
    public var members: [Int]
    /// One score per member, in `members` order.
    public var scores: [Double]
    public var cost: Double
    /// How the candidate is shown when its members alone do not say it (e.g. "half-size").
    public var label: String?

    public init(members: [Int], scores: [Double], cost: Double = 1, label: String? = nil) {
        let order = members.indices.sorted { members[$0] < members[$1] }
        (self.members, self.scores, self.cost, self.label) = (order.map { members[$0] }, order.map { scores[$0] }, cost, label)
    }

    /// The score of task `task`, nil when the candidate does not serve it.
    public func score(of task: Int) -> Double? { members.firstIndex(of: task).map { scores[$0] } }
}

/// What a selection may spend: at most `maxGroups` networks and at most `maxCost` in total
/// (Standley's budgets: 1, 1.5, ..., in units of one full-size network). Nil: no limit.
public struct SelectionBudget: Sendable, Equatable, Codable {
    public var maxGroups: Int?
    public var maxCost: Double?
    public init(maxGroups: Int? = nil, maxCost: Double? = nil) { (self.maxGroups, self.maxCost) = (maxGroups, maxCost) }
}

/// Network selection (Standley et al. 2020; TAG, Fifty et al. 2021): choose candidate groups
/// within the budget that together serve every task; each task is served by its best chosen group;
/// the objective is the mean (or sum) over tasks of the served scores. Groups may overlap unless
/// `partition` is set (then every task is in exactly one chosen group).
public struct SelectionProblem: Sendable, Equatable {
    public enum Aggregate: String, Sendable, Codable { case mean, sum }

    public var tasks: [String]
    public var candidates: [CandidateGroup]
    /// Scores are gains or affinities (true) or losses and errors (false).
    public var higherIsBetter: Bool
    public var budget: SelectionBudget
    public var aggregate: Aggregate
    public var partition: Bool

    public init(tasks: [String], candidates: [CandidateGroup], higherIsBetter: Bool, budget: SelectionBudget,
                aggregate: Aggregate = .mean, partition: Bool = false) {
        (self.tasks, self.candidates, self.higherIsBetter, self.budget) = (tasks, candidates, higherIsBetter, budget)
        (self.aggregate, self.partition) = (aggregate, partition)
    }

    /// Checks the problem before any search; errors say which candidate or setting is wrong.
    public func validate() throws {
        guard !tasks.isEmpty, Set(tasks).count == tasks.count else { throw ConfigurationError("selection: task names must be unique and present, got \(tasks)") }
        guard tasks.count <= 64 else { throw ConfigurationError("selection: at most 64 tasks, got \(tasks.count)") }
        if let k = budget.maxGroups, k < 1 { throw ConfigurationError("selection: the budget must allow at least one group, got \(k)") }
        if let cost = budget.maxCost, !(cost > 0) || !cost.isFinite { throw ConfigurationError("selection: the cost budget must be a positive number, got \(cost)") }
        for (i, candidate) in candidates.enumerated() {
            let name = "selection: candidate \(i + 1)"
            guard !candidate.members.isEmpty else { throw ConfigurationError("\(name) serves no task") }
            guard candidate.members.count == candidate.scores.count else { throw ConfigurationError("\(name) has \(candidate.members.count) members but \(candidate.scores.count) scores") }
            guard Set(candidate.members).count == candidate.members.count, candidate.members.allSatisfy({ tasks.indices.contains($0) }) else {
                throw ConfigurationError("\(name): members must be distinct tasks of \(tasks.count), got \(candidate.members)")
            }
            if let bad = candidate.scores.first(where: { !$0.isFinite }) { throw ConfigurationError("\(name) (\(describe(candidate))): score \(bad) is not a finite number") }
            guard candidate.cost > 0, candidate.cost.isFinite else { throw ConfigurationError("\(name) (\(describe(candidate))): cost must be positive, got \(candidate.cost)") }
        }
        let served = Set(candidates.flatMap(\.members))
        if let missing = tasks.indices.first(where: { !served.contains($0) }) {
            throw ConfigurationError("selection: no candidate group serves task '\(tasks[missing])'")
        }
    }

    /// A candidate's members by name, e.g. `{class, upper}`, with its label if it has one.
    public func describe(_ candidate: CandidateGroup) -> String {
        "{" + candidate.members.map { tasks[$0] }.joined(separator: ", ") + "}" + (candidate.label.map { " (\($0))" } ?? "")
    }
}

/// A chosen set of groups: which candidates, which one serves each task, and the objective.
public struct Selection: Sendable, Equatable {
    /// Indices into the problem's candidates, ascending.
    public var chosen: [Int]
    /// For each task, the chosen candidate serving it (its best score among the chosen).
    public var serving: [Int]
    /// Each task's served score.
    public var scores: [Double]
    /// Mean or sum of `scores`, as the problem asks.
    public var objective: Double
    public var cost: Double

    /// The selection made of `chosen` (each task served by its best chosen group), or nil if the
    /// chosen groups leave a task unserved.
    public init?(chosen: [Int], in problem: SelectionProblem) {
        let chosen = chosen.sorted()
        var serving: [Int] = [], scores: [Double] = []
        for task in problem.tasks.indices {
            var best: (Int, Double)?
            for c in chosen {
                guard let s = problem.candidates[c].score(of: task) else { continue }
                if best == nil || (problem.higherIsBetter ? s > best!.1 : s < best!.1) { best = (c, s) }
            }
            guard let best else { return nil }
            serving.append(best.0)
            scores.append(best.1)
        }
        let total = scores.reduce(0, +)
        (self.chosen, self.serving, self.scores) = (chosen, serving, scores)
        objective = problem.aggregate == .sum ? total : total / Double(scores.count)
        cost = chosen.reduce(0) { $0 + problem.candidates[$1].cost }
    }

    /// The same chosen groups with each task served by its best group in another table over the
    /// same candidates: groups chosen on estimates (HOA, early-stopped losses) and then trained are
    /// served by their measured validation losses (Standley et al.). Nil if a task is unserved.
    public func served(by other: SelectionProblem) -> Selection? { Selection(chosen: chosen, in: other) }

    /// The same chosen groups scored by another table over the same candidates (select on
    /// validation losses or estimates, report test losses): each task keeps the group that served
    /// it here, and takes that group's score in `other`.
    public func scored(by other: SelectionProblem) throws -> (scores: [Double], objective: Double) {
        let scores = try serving.enumerated().map { task, c -> Double in
            guard c < other.candidates.count, let s = other.candidates[c].score(of: task) else {
                throw ConfigurationError("selection: the scoring table has no score for task '\(other.tasks[task])' in candidate \(c + 1)")
            }
            return s
        }
        let total = scores.reduce(0, +)
        return (scores, other.aggregate == .sum ? total : total / Double(scores.count))
    }
}
