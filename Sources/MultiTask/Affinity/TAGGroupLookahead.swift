import Foundation
import NN

/// TAG's lookahead from groups of source tasks (Fifty et al. 2021, the higher-order form): the
/// update is the optimizer's for the summed gradient of a candidate group's losses,
/// Z(G→j) = 1 − L_j(θ_s − Δ_G, θ_j) / L_j(θ_s, θ_j), Δ_G from Σ_{i∈G} g_i. A candidate group's
/// members can then be scored directly instead of from pairs. Sampled and averaged like
/// `TAGLookahead`.
public final class TAGGroupLookahead: TrainingObserver {
    public let tasks: [String]
    /// The source groups, each a set of task names.
    public let groups: [[String]]
    public let settings: TAGLookahead.Settings
    private let members: [[Int]]
    private var sums: [[Double]], count = 0
    private var epochMeans: [[[Double]]] = []
    private(set) var steps: [Int] = []
    private var seconds = 0.0

    /// Errors name a group with an unknown or repeated task, or an empty group.
    public init(tasks: [String], groups: [[String]], settings: TAGLookahead.Settings = TAGLookahead.Settings()) throws {
        members = try groups.map { group in
            guard !group.isEmpty, Set(group).count == group.count else { throw ConfigurationError("TAG groups: \(group) must be non-empty, without repeats") }
            return try group.map { name in
                guard let k = tasks.firstIndex(of: name) else { throw ConfigurationError("TAG groups: unknown task '\(name)' in \(group) (tasks: \(tasks.joined(separator: ", ")))") }
                return k
            }
        }
        (self.tasks, self.groups, self.settings) = (tasks, groups, settings)
        sums = Array(repeating: Array(repeating: 0, count: tasks.count), count: groups.count)
    }

    public func wantsTaskGradients(atStep index: Int) -> Bool { index % settings.every == 0 }

    public func beforeUpdate(_ step: TrainingStep) throws {
        guard step.index % settings.every == 0, let gradients = step.taskGradients else { return }
        let started = ContinuousClock.now
        let scale = settings.divideByLearningRate ? 1 / Double(step.learningRate) : 1
        for (g, group) in members.enumerated() {
            let gradient = group.dropFirst().reduce(gradients[group[0]]) { $0 + gradients[$1] }
            let lookahead = try step.losses(withShared: step.shared - step.proposedUpdate(gradient))
            for j in tasks.indices { sums[g][j] += (1 - lookahead[j] / step.losses[j]) * scale }
        }
        count += 1
        steps.append(step.index)
        seconds += (ContinuousClock.now - started).seconds
    }

    public var id: String { "tag-groups" }
    public var state: [String: [Double]] {
        get { ["sum": sums.flatMap { $0 }, "count": [Double(count)], "epochs": epochMeans.flatMap { $0.flatMap { $0 } }, "steps": steps.map(Double.init), "seconds": [seconds]] }
        set {
            let (rows, columns) = (groups.count, tasks.count)
            guard let flat = newValue["sum"], flat.count == rows * columns, let count = newValue["count"]?.first, let epochs = newValue["epochs"],
                  epochs.count % Swift.max(rows * columns, 1) == 0, let steps = newValue["steps"] else { return }
            func table(_ values: ArraySlice<Double>) -> [[Double]] { (0..<rows).map { g in Array(values[(values.startIndex + g * columns)..<(values.startIndex + (g + 1) * columns)]) } }
            sums = table(flat[...])
            self.count = Int(count)
            epochMeans = stride(from: 0, to: epochs.count, by: rows * columns).map { table(epochs[$0..<($0 + rows * columns)]) }
            self.steps = steps.map { Int($0) }
            seconds = newValue["seconds"]?.first ?? 0
        }
    }

    public func endEpoch(_ epoch: Int) {
        guard count > 0 else { return }
        epochMeans.append(sums.map { $0.map { $0 / Double(count) } })
        sums = sums.map { $0.map { _ in 0 } }
        count = 0
    }

    /// values[g][j]: the effect of group g's update on task j (mean, or sum, of epoch means).
    public func values() -> [[Double]] {
        var means = epochMeans
        if count > 0 { means.append(sums.map { $0.map { $0 / Double(count) } }) }
        guard !means.isEmpty else { return sums.map { $0.map { _ in .nan } } }
        return groups.indices.map { g in
            tasks.indices.map { j in
                let total = means.reduce(0) { $0 + $1[g][j] }
                return settings.sumOfEpochMeans ? total : total / Double(means.count)
            }
        }
    }

    /// Each group's score for its own members: the mean effect of the group's update on them.
    public func memberScores() -> [Double] {
        let v = values()
        return members.indices.map { g in members[g].reduce(0) { $0 + v[g][$1] } / Double(members[g].count) }
    }
}
