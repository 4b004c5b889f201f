import Files
import Foundation

/// Every non-empty set of n tasks (2ⁿ − 1 networks) trained with the same settings, each task's
/// validation and test results in each: the exact answer every grouping estimator approximates
/// (Standley et al. 2020 trained all 31 sets of 5 Taskonomy tasks this way).
public struct GroundTruth: Sendable, Equatable, Codable {
    public var format = 1
    public var tasks: [String]
    /// The fingerprint of the data, model and settings every network was trained with.
    public var settingsKey: String
    /// One per task set, in `GroundTruth.taskSets` order (by size, then by members).
    public var networks: [TaskSetResult]

    public static let maxTasks = 7

    /// Every non-empty set of `count` task indices: singles first, then pairs, ..., each size in
    /// lexicographic order of its members (Standley et al.'s table order).
    public static func taskSets(count: Int) -> [[Int]] {
        var sets: [[Int]] = []
        func extend(_ prefix: [Int], from start: Int, size: Int) {
            if prefix.count == size { sets.append(prefix); return }
            for i in start..<count { extend(prefix + [i], from: i + 1, size: size) }
        }
        for size in 0...count where size > 0 { extend([], from: 0, size: size) }
        return sets
    }

    /// The network trained on exactly `members` (task names, any order), if any.
    public func network(_ members: [String]) -> TaskSetResult? {
        let set = Set(members)
        return networks.first { Set($0.tasks) == set }
    }

    public enum Split: String, Sendable { case validation, test }

    /// Candidate groups for network selection: each network, each member scored by its loss on
    /// `split` (lower is better), in `networks` order.
    public func candidates(_ split: Split) -> [CandidateGroup] {
        networks.map { network in
            let evaluation = split == .validation ? network.validation : network.test
            return CandidateGroup(members: network.tasks.map { tasks.firstIndex(of: $0)! }, scores: network.tasks.map { evaluation[$0]!.loss })
        }
    }

    /// A selection problem over every network, scored by `split`'s losses.
    public func problem(_ split: Split, budget: SelectionBudget) -> SelectionProblem {
        SelectionProblem(tasks: tasks, candidates: candidates(split), higherIsBetter: false, budget: budget)
    }

    /// `mtk group --table`'s CSV: a header of task names, one row per network with each member's
    /// loss on `split` and an empty cell for a non-member.
    public func csv(_ split: Split) -> String {
        let rows = candidates(split).map { c in tasks.indices.map { t in c.score(of: t).map { "\($0)" } ?? "" }.joined(separator: ",") }
        return ([tasks.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    /// Standley et al.'s tab-separated layout (`mtk group --standley`). Its first line holds
    /// their half-size single-task networks; none is trained here, so it repeats the full-size
    /// single-task losses, and `--cost-model standley` must not be used with it (`--max-groups`).
    public func standley(_ split: Split) -> String {
        let candidates = candidates(split)
        let singles = tasks.indices.map { t in candidates.first { $0.members == [t] }!.scores[0] }
        let line = { (scores: [Double?]) in scores.map { $0.map { "\($0)" } ?? "" }.joined(separator: "\t") }
        return ([line(singles)] + candidates.map { c in line(tasks.indices.map { c.score(of: $0) }) }).joined(separator: "\n") + "\n"
    }
}

/// Which part of a sharded job this process does: networks `index`, `index + count`, ... of
/// `GroundTruth.taskSets`. 0-based, as Slurm array ids from 0 and Kubernetes' completion indices.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= 4096 else { throw ConfigurationError("shard count must be between 1 and 4096, got \(count)") }
        guard (0..<count).contains(index) else { throw ConfigurationError("shard index must be between 0 and \(count - 1) (0-based) for \(count) shards, got \(index)") }
        (self.index, self.count) = (index, count)
    }

    /// `i/n`, e.g. `0/4`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ConfigurationError("--shard: expected INDEX/COUNT with a 0-based index, e.g. 0/4, got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    /// The shard a scheduler gave this process: Slurm's `SLURM_ARRAY_TASK_ID` (less
    /// `SLURM_ARRAY_TASK_MIN`) of `SLURM_ARRAY_TASK_COUNT`, or Kubernetes' `JOB_COMPLETION_INDEX`
    /// of `count` (which Kubernetes does not export). Nil when neither scheduler set one.
    public static func fromEnvironment(_ environment: [String: String], count: Int?) throws -> Shard? {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw ConfigurationError("\(name) is '\(text)', not a whole number") }
            return value
        }
        if let id = try number("SLURM_ARRAY_TASK_ID") {
            guard let total = try number("SLURM_ARRAY_TASK_COUNT") else { throw ConfigurationError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: not a Slurm job array?") }
            let index = id - (try number("SLURM_ARRAY_TASK_MIN") ?? 0)
            if let count, count != total { throw ConfigurationError("--shards \(count) disagrees with the Slurm array's \(total) tasks (SLURM_ARRAY_TASK_COUNT)") }
            do { return try Shard(index: index, count: total) } catch {
                throw ConfigurationError("the Slurm array task \(id) is not one of 0..<\(total) after its minimum: submit the array as --array=0-\(total - 1) (no step, no gaps)")
            }
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count else { throw ConfigurationError("JOB_COMPLETION_INDEX is set (a Kubernetes indexed job): give the job's completions as --shards N") }
            return try Shard(index: index, count: count)
        }
        if let count, count > 1 { throw ConfigurationError("--shards \(count) without --shard INDEX/COUNT, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX: which shard is this?") }
        return nil
    }

    public func owns(_ position: Int) -> Bool { position % count == index }

    public var description: String { "\(index)/\(count)" }
}
