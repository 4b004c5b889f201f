import Foundation

/// What `mtk affinity` measures, saved in the run's config so that a stopped affinity run
/// resumes with the same estimators (their sums are in every snapshot).
public struct AffinityRequest: Sendable, Equatable, Codable {
    public static let methodNames = ["tag", "first-order", "cosine", "fisher"]

    public var methods = ["tag", "first-order", "cosine"]
    /// Sample every `every` steps; nil: 10 for `tag` and `first-order`, 1 for `cosine`.
    public var every: Int?
    public var divideByLearningRate = false
    public var sumOfEpochMeans = false
    public var matricesOnly = false
    /// Source groups for TAG's higher-order form.
    public var groups: [[String]]?
    public var fisherExamples = 500
    public var fisherEmpirical = false
    /// Fisher: refit each head on the frozen trunk for this many steps first (nil or 0: the
    /// trained heads; see `FisherEmbedding.Settings.headSteps`).
    public var fisherHeadSteps: Int?
    /// Fisher: compare every weight's Fisher instead of per-filter means (nil: per filter).
    public var fisherPerWeight: Bool?
    /// Keep every sample (`steps.jsonl`).
    public var perStep = false

    public init() {}

    /// Checks the request before any work; errors name the option.
    public func validate() throws {
        guard !methods.isEmpty else { throw ConfigurationError("affinity: no method given (known: \(AffinityRequest.methodNames.joined(separator: ", ")))") }
        if let unknown = methods.first(where: { !AffinityRequest.methodNames.contains($0) }) {
            throw ConfigurationError("affinity: unknown method '\(unknown)' (known: \(AffinityRequest.methodNames.joined(separator: ", ")))")
        }
        if let every, every < 1 { throw ConfigurationError("affinity: every must be at least 1, got \(every)") }
        guard fisherExamples >= 1 else { throw ConfigurationError("affinity: fisher examples must be at least 1, got \(fisherExamples)") }
        if let steps = fisherHeadSteps, steps < 0 { throw ConfigurationError("affinity: fisher head steps must be at least 0, got \(steps)") }
        if let twice = methods.first(where: { name in methods.filter { $0 == name }.count > 1 }) { throw ConfigurationError("affinity: method '\(twice)' is named twice") }
        // A setting of an estimator that is not measured would do nothing: an error, not a no-op.
        let lookahead = methods.contains("tag") || methods.contains("first-order") || groups != nil
        func unused(_ setting: String, _ applies: String) -> ConfigurationError {
            ConfigurationError("affinity: \(setting) applies to \(applies), which is not measured (methods: \(methods.joined(separator: ",")))")
        }
        if matricesOnly && !methods.contains("cosine") { throw unused("matrices only", "cosine") }
        if divideByLearningRate && !lookahead { throw unused("divide by lr", "tag, first-order and groups") }
        if sumOfEpochMeans && !lookahead { throw unused("sum of epoch means", "tag, first-order and groups") }
        if every != nil && !lookahead && !methods.contains("cosine") { throw unused("every", "tag, first-order, cosine and groups") }
        if !methods.contains("fisher") {
            if fisherExamples != 500 { throw unused("fisher examples", "fisher") }
            if fisherEmpirical { throw unused("fisher empirical", "fisher") }
            if fisherHeadSteps != nil { throw unused("fisher head steps", "fisher") }
            if fisherPerWeight != nil { throw unused("fisher per weight", "fisher") }
        }
        if let groups {
            guard !groups.isEmpty, !groups.contains(where: { $0.isEmpty || $0.contains("") }) else { throw ConfigurationError("affinity: groups: expected groups of task names like a+b,c+d, got an empty one") }
            if let twice = groups.first(where: { group in groups.filter { Set($0) == Set(group) }.count > 1 }) {
                throw ConfigurationError("affinity: groups: the group \(twice.joined(separator: "+")) is given twice")
            }
        }
    }

    /// The estimators for `tasks` (each method once, in name order) and the group lookahead, if asked.
    public func estimators(tasks: [String], seed: UInt64) throws -> (matrices: [any AffinityEstimator], groups: TAGGroupLookahead?) {
        try validate()
        guard tasks.count >= 2 else { throw ConfigurationError("affinity needs at least two tasks; the data has \(tasks.joined(separator: ", "))") }
        var lookahead = TAGLookahead.Settings()
        (lookahead.every, lookahead.divideByLearningRate, lookahead.sumOfEpochMeans) = (every ?? 10, divideByLearningRate, sumOfEpochMeans)
        var cosine = GradientCosine.Settings()
        (cosine.every, cosine.matricesOnly) = (every ?? 1, matricesOnly)
        var fisher = FisherEmbedding.Settings()
        (fisher.examples, fisher.empirical, fisher.seed) = (fisherExamples, fisherEmpirical, seed)
        (fisher.headSteps, fisher.perFilter) = (fisherHeadSteps ?? 0, !(fisherPerWeight ?? false))
        let matrices: [any AffinityEstimator] = Array(Set(methods)).sorted().map { name in
            switch name {
            case "tag": TAGLookahead(tasks: tasks, settings: lookahead)
            case "first-order": FirstOrderLookahead(tasks: tasks, settings: lookahead)
            case "fisher": FisherAffinity(tasks: tasks, settings: fisher)
            default: GradientCosine(tasks: tasks, settings: cosine)
            }
        }
        if perStep { matrices.forEach { $0.keepSamples() } }
        return (matrices, try groups.map { try TAGGroupLookahead(tasks: tasks, groups: $0, settings: lookahead) })
    }
}
