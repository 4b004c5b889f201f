import Tensors

extension Dataset {
    /// Class-balanced undersampling on a multiclass or binary task, to remove label-frequency
    /// effects: examples missing that task's label are dropped, and every class present is cut to
    /// the size of the smallest present class by a choice seeded by `seed`. Kept examples stay in
    /// original order; all tasks' labels come along. Throws for an unknown or regression task.
    public func balanced(on task: String, seed: UInt64) throws -> Dataset {
        guard let info = self.task(named: task), let taskLabels = labels[task] else {
            throw DataError.unknownTask(task, known: taskNames)
        }
        guard let classes = info.kind.classCount else {
            throw DataError.invalidDataset(
                dataset: name, task: task, reason: "balancing needs a multiclass or binary task, the task is \(info.kind)")
        }
        if let problem = LabelCheck.firstInvalid(taskLabels, kind: info.kind) {
            throw DataError.invalidDataset(dataset: name, task: task, reason: problem)
        }
        var members = [[Int]](repeating: [], count: classes)
        taskLabels.withUnsafeBufferPointer { values in
            for (i, value) in values.enumerated() where !value.isNaN { members[Int(value)].append(i) }
        }
        let present = members.filter { !$0.isEmpty }
        let quota = present.map(\.count).min() ?? 0
        var rng = RandomGenerator(seed: SeedStream.derive(seed, "Dataset.balanced"))
        var kept: [Int] = []
        kept.reserveCapacity(quota * present.count)
        for group in present {
            let order = rng.permutation(group.count)
            kept.append(contentsOf: order.prefix(quota).map { group[$0] })
        }
        return subset(kept.sorted())
    }
}
