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

    /// Compares every metric present in both evaluations (losses are not metrics and are skipped).
    public init(model: Evaluation, baselines: Evaluation) {
        var changes: [String: Double] = [:]
        for task in model.tasks {
            guard let base = baselines[task.task] else { continue }
            for metric in task.metrics {
                guard let reference = base.metric(metric.name), reference.value != 0, reference.value.isFinite, metric.value.isFinite else { continue }
                let sign: Double = metric.higherIsBetter ? 1 : -1
                changes["\(task.task).\(metric.name)"] = sign * (metric.value - reference.value) / Swift.abs(reference.value) * 100
            }
        }
        perMetric = changes
        let perTask = model.tasks.compactMap { task -> Double? in
            let values = changes.filter { $0.key.hasPrefix(task.task + ".") }.map(\.value)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        improvement = perTask.isEmpty ? .nan : perTask.reduce(0, +) / Double(perTask.count)
    }
}
