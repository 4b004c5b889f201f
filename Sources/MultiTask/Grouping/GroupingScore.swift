/// Scores a grouping on trained networks, Standley et al.'s protocol: each task is served by the
/// chosen network with its lowest validation loss; the mean validation and test loss over the
/// tasks (summed in `tasks` order), and Δm% on test against the single-task networks.
struct GroupingScore {
    let networks: [TaskSetResult]
    let singles: Evaluation?
    /// Every task the groups must serve.
    let tasks: [String]

    /// Nil when a group has no network or a task no group.
    func score(_ groups: [[String]]) -> (validation: Double, test: Double, deltaM: Double?)? {
        let chosen = groups.compactMap { group in networks.first { Set($0.tasks) == Set(group) } }
        guard chosen.count == groups.count, !groups.isEmpty else { return nil }
        var validation = 0.0
        var served: [TaskEvaluation] = []
        for task in tasks {
            guard let best = chosen.filter({ $0.tasks.contains(task) }).min(by: { $0.validation[task]!.loss < $1.validation[task]!.loss }) else { return nil }
            validation += best.validation[task]!.loss
            served.append(best.test[task]!)
        }
        let n = Double(tasks.count)
        return (validation / n, served.reduce(0) { $0 + $1.loss } / n, singles.map { DeltaM(model: Evaluation(tasks: served), baselines: $0).improvement })
    }
}
