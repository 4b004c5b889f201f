import Foundation

/// The parameters of the `synthetic` suite: tabular tasks whose relatedness is set exactly.
/// Inputs x ∈ R^features ~ N(0, I). Task t has unit weight w_t = cos θ_t·u + sin θ_t·v_g, with u a
/// direction shared by all tasks and v_g a direction shared by the tasks of group g (each task
/// its own group unless `groups` says otherwise), all orthonormal. Hence the cosine between two
/// tasks' weights is cos θ_s·cos θ_t in different groups and cos(θ_s − θ_t) in the same group.
public struct SyntheticConfig: Sendable, Codable, Equatable {
    /// How a task turns its score w_t·x + noise into a label.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The score itself.
        case regression
        /// 1 when the score is positive, else 0.
        case binary

        /// The dataset task kind.
        public var taskKind: TaskKind { self == .regression ? .regression : .binary }
    }

    /// The input dimension d (default 32); needs d ≥ 1 + the number of groups.
    public var features: Int
    /// Examples in the train split (default 4000).
    public var trainExamples: Int
    /// Examples in the test split (default 1000).
    public var testExamples: Int
    /// θ_t in degrees per task, the angle between task t's weights and the shared direction:
    /// 0 = the shared task itself, 90 = unrelated to every task outside its group.
    /// Default [0, 15, 30, 45, 60, 90].
    public var angles: [Double]
    /// A group id per task; tasks with equal ids share their private direction v. Nil (default)
    /// puts every task in its own group.
    public var groups: [Int]?
    /// Standard deviation of the Gaussian noise added to every score (default 0.1); the score's
    /// own standard deviation is 1.
    public var noise: Double
    /// The label kind per task (default all regression).
    public var kinds: [Kind]
    /// The seed of the directions (shared by both splits) and of each split's inputs and noise.
    public var seed: UInt64

    /// The default angles: a ladder of relatedness ending in a task unrelated to all others.
    public static let defaultAngles: [Double] = [0, 15, 30, 45, 60, 90]

    /// A configuration; `kinds` nil means every task is regression.
    public init(
        features: Int = 32, trainExamples: Int = 4000, testExamples: Int = 1000, angles: [Double] = defaultAngles,
        groups: [Int]? = nil, noise: Double = 0.1, kinds: [Kind]? = nil, seed: UInt64 = 0
    ) {
        self.features = features
        self.trainExamples = trainExamples
        self.testExamples = testExamples
        self.angles = angles
        self.groups = groups
        self.noise = noise
        self.kinds = kinds ?? Array(repeating: .regression, count: angles.count)
        self.seed = seed
    }

    /// `tasks` tasks, each in its own group, whose weights all have pairwise cosine `relatedness`
    /// (in [0, 1]): every angle is arccos √relatedness.
    public static func equallyRelated(
        tasks: Int, relatedness: Double, kind: Kind = .regression, noise: Double = 0.1, seed: UInt64 = 0
    ) -> SyntheticConfig {
        require(relatedness >= 0 && relatedness <= 1, "SyntheticConfig.equallyRelated: relatedness \(relatedness) is outside [0, 1]")
        let angle = acos(relatedness.squareRoot()) * 180 / .pi
        return SyntheticConfig(
            angles: Array(repeating: angle, count: tasks), noise: noise, kinds: Array(repeating: kind, count: tasks), seed: seed)
    }

    /// The number of tasks.
    public var taskCount: Int { angles.count }

    /// The group index (0-based, in order of first appearance) of each task.
    var groupIndices: [Int] {
        guard let groups else { return Array(0..<angles.count) }
        var index: [Int: Int] = [:]
        return groups.map { id in
            if let known = index[id] { return known }
            index[id] = index.count
            return index.count - 1
        }
    }

    /// The cosine between tasks' weights implied by the angles and groups, R[s][t].
    public var expectedRelatedness: [[Double]] {
        let radians = angles.map { $0 * .pi / 180 }
        let group = groupIndices
        return radians.indices.map { s in
            radians.indices.map { t in
                let shared = cos(radians[s]) * cos(radians[t])
                return group[s] == group[t] ? shared + sin(radians[s]) * sin(radians[t]) : shared
            }
        }
    }

    /// Stops with a message when the configuration cannot be generated.
    func validate() {
        require(features >= 1, "SyntheticConfig: features must be positive, got \(features)")
        require(trainExamples >= 0 && testExamples >= 0, "SyntheticConfig: example counts must not be negative")
        require(noise >= 0 && noise.isFinite, "SyntheticConfig: noise must be a non-negative number, got \(noise)")
        require(kinds.count == angles.count, "SyntheticConfig: \(kinds.count) kinds for \(angles.count) tasks")
        require(groups == nil || groups!.count == angles.count, "SyntheticConfig: \(groups!.count) groups for \(angles.count) tasks")
        let groupCount = Set(groupIndices).count
        require(
            1 + groupCount <= features,
            "SyntheticConfig: \(groupCount) groups need \(1 + groupCount) orthogonal directions, more than \(features) features")
    }
}
