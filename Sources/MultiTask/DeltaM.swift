/// Δm%: the average relative change of a multi-task model's metrics against single-task baselines
/// (Maninis et al. 2019; Vandenhende et al. 2021):
/// Δm = (100 / T) · Σₜ (1/Nₜ) Σⱼ (−1)^{lₜⱼ} (M_{m,tj} − M_{b,tj}) / M_{b,tj}, with l = 1 when lower is
/// better — each task's metrics averaged first, then the tasks (LibMTL's convention).
/// In this form (LibMTL's) positive means the multi-task model is better; some papers report the
/// average relative *drop*, the same number with the opposite sign.
public struct DeltaM: Sendable, Equatable, Codable {
    /// Positive = better than the baselines.
    public let improvement: Double
    /// Positive = worse than the baselines (the "drop" convention): −improvement.
    public var drop: Double { -improvement }
    /// Per task.metric: the signed relative change in percent (positive = better).
    public let perMetric: [String: Double]
    /// Per task or task.metric left out of the average, and why (no labels, no baseline, a
    /// baseline of 0): reported with the result, never dropped silently.
    public let excluded: [String: String]
    /// The tasks the average is over.
    public let tasks: [String]

    /// Compares every metric present in both evaluations (losses are not metrics and are skipped).
    public init(model: Evaluation, baselines: Evaluation) {
        var changes: [String: Double] = [:], excluded: [String: String] = [:]
        for task in model.tasks {
            guard let base = baselines[task.task] else { excluded[task.task] = "no single-task baseline"; continue }
            if task.hasNoLabels || base.hasNoLabels { excluded[task.task] = "no labels in the test set"; continue }
            for metric in task.metrics {
                let key = "\(task.task).\(metric.name)"
                guard let reference = base.metric(metric.name) else { excluded[key] = "the baseline lacks this metric"; continue }
                guard reference.value.isFinite, metric.value.isFinite else { excluded[key] = "not finite (\(metric.value) vs baseline \(reference.value))"; continue }
                guard reference.value != 0 else { excluded[key] = "the baseline is 0, so the relative change is undefined"; continue }
                let sign: Double = metric.higherIsBetter ? 1 : -1
                changes[key] = sign * (metric.value - reference.value) / Swift.abs(reference.value) * 100
            }
        }
        perMetric = changes
        var counted: [String] = []
        let perTask = model.tasks.compactMap { task -> Double? in
            let values = changes.filter { $0.key.hasPrefix(task.task + ".") }.map(\.value)
            if values.isEmpty {
                if excluded[task.task] == nil { excluded[task.task] = "no comparable metric" }
                return nil
            }
            counted.append(task.task)
            return values.reduce(0, +) / Double(values.count)
        }
        self.excluded = excluded
        tasks = counted
        improvement = perTask.isEmpty ? .nan : perTask.reduce(0, +) / Double(perTask.count)
    }
}
