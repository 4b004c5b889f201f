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

    /// Checks that every loss of `network` is a finite number (a NaN would read as a score).
    static func checkFinite(_ network: TaskSetResult, file: String) throws {
        for (split, evaluation) in [("validation", network.validation), ("test", network.test)] {
            if let bad = evaluation.tasks.first(where: { !$0.loss.isFinite }) {
                throw RunDirectoryError.corrupt(path: file, reason: "network \(network.tasks.joined(separator: "+")): task '\(bad.task)' has the \(split) loss \(bad.loss), not a finite number")
            }
        }
    }

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

    /// This process's shard: `option` (`--shard I/N`), else the one a scheduler gave it — Slurm's
    /// `SLURM_ARRAY_TASK_ID` (less `SLURM_ARRAY_TASK_MIN`) of `SLURM_ARRAY_TASK_COUNT`, or
    /// Kubernetes' `JOB_COMPLETION_INDEX` of `count` (`--shards`, which Kubernetes does not
    /// export). Nil: the whole study. `note` says when an explicit shard overrides a scheduler's.
    public static func resolve(option: String?, count: Int?, environment: [String: String]) throws -> (shard: Shard?, note: String?) {
        if let count, !(1...4096).contains(count) { throw ConfigurationError("--shards must be between 1 and 4096, got \(count)") }
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw ConfigurationError("\(name) is '\(text)', not a whole number") }
            return value
        }
        let slurm = try number("SLURM_ARRAY_TASK_ID"), kubernetes = try number("JOB_COMPLETION_INDEX")
        if let option {
            let shard = try Shard(parsing: option)
            if let count, count != shard.count { throw ConfigurationError("--shard \(option) and --shards \(count) disagree on the number of shards") }
            let scheduler = slurm != nil ? "the Slurm array task's" : kubernetes != nil ? "JOB_COMPLETION_INDEX's" : nil
            return (shard, scheduler.map { "--shard \(option) given: \($0) shard is not used" })
        }
        if slurm != nil && kubernetes != nil { throw ConfigurationError("both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set: give the shard with --shard I/N") }
        if let id = slurm {
            guard let total = try number("SLURM_ARRAY_TASK_COUNT") else { throw ConfigurationError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: not a Slurm job array?") }
            guard (1...4096).contains(total) else { throw ConfigurationError("SLURM_ARRAY_TASK_COUNT is \(total): a ground truth has between 1 and 4096 shards") }
            if let count, count != total { throw ConfigurationError("--shards \(count) disagrees with the Slurm array's \(total) tasks (SLURM_ARRAY_TASK_COUNT)") }
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            guard (0..<total).contains(id - minimum) else {
                throw ConfigurationError("SLURM_ARRAY_TASK_ID \(id) (less SLURM_ARRAY_TASK_MIN \(minimum)) is not one of 0...\(total - 1): submit the array as --array=0-\(total - 1) (no step, no gaps)")
            }
            return (try Shard(index: id - minimum, count: total), nil)
        }
        if environment["SLURM_ARRAY_TASK_COUNT"] != nil { throw ConfigurationError("SLURM_ARRAY_TASK_COUNT is set but SLURM_ARRAY_TASK_ID is not: give the shard with --shard I/N") }
        if let index = kubernetes {
            guard let count else { throw ConfigurationError("JOB_COMPLETION_INDEX is set (a Kubernetes indexed job): give the job's completions as --shards N") }
            guard (0..<count).contains(index) else { throw ConfigurationError("JOB_COMPLETION_INDEX \(index) is not one of 0...\(count - 1) for --shards \(count)") }
            return (try Shard(index: index, count: count), nil)
        }
        if let count, count > 1 { throw ConfigurationError("--shards \(count) without --shard INDEX/COUNT, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX: which shard is this?") }
        return (nil, nil)
    }

    public func owns(_ position: Int) -> Bool { position % count == index }

    public var description: String { "\(index)/\(count)" }
}
