import Tensors

extension Dataset {
    /// The examples at `indices` (in that order, repeats allowed) with all tasks' labels,
    /// for hold-out sets, resampling and debugging on a slice. Stops on an out-of-range index.
    public func subset(_ indices: [Int]) -> Dataset {
        var copy = self
        copy.inputs = RowGather.rows(of: inputs, at: indices[...])
        copy.labels = labels.mapValues { RowGather.rows(of: $0, at: indices[...]) }
        return copy
    }

    /// The same examples with only the named tasks, in the order given, to train on a subset of
    /// tasks. Throws `DataError.unknownTask` (listing the known tasks) for a name it lacks.
    public func selecting(tasks names: [String]) throws -> Dataset {
        var chosen: [TaskInfo] = []
        var chosenLabels: [String: Tensor] = [:]
        for name in names {
            guard let task = task(named: name), let taskLabels = labels[name] else {
                throw DataError.unknownTask(name, known: taskNames)
            }
            chosen.append(task)
            chosenLabels[name] = taskLabels
        }
        var selected = try Dataset(name: self.name, inputs: inputs, tasks: chosen, labels: chosenLabels)
        selected.featureNames = featureNames
        return selected
    }
}
