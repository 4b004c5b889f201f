import Tensors

/// Inputs plus one label vector per task, the unit every loader, trainer and metric works on.
/// Labels are `Float`: a class index, 0/1, or a value; NaN means "missing for this task".
public struct Dataset: Sendable {
    /// A name for reports, e.g. `fashion-attributes/train`.
    public var name: String
    /// The examples, `[N, example shape...]`.
    public var inputs: Tensor
    /// The tasks, in order.
    public var tasks: [TaskInfo]
    /// Task name → labels of shape `[N]`.
    public var labels: [String: Tensor]
    /// The names of the feature columns of a table (a CSV's header), so another table can be
    /// checked against it; nil for images.
    public var featureNames: [String]?

    /// A dataset after checking that every task has `[N]` labels valid for its kind (class indices
    /// in range, 0/1, finite values; NaN allowed as missing); errors name the task and example.
    public init(name: String, inputs: Tensor, tasks: [TaskInfo], labels: [String: Tensor]) throws {
        guard inputs.rank >= 1 else {
            throw DataError.invalidDataset(dataset: name, task: "", reason: "inputs must have a leading example axis, got shape \(inputs.shape)")
        }
        let count = inputs.shape[0]
        var seen = Set<String>()
        for task in tasks {
            if let problem = TaskName.problem(task.name) {
                throw DataError.invalidDataset(dataset: name, task: task.name, reason: problem)
            }
            guard seen.insert(task.name).inserted else {
                throw DataError.invalidDataset(dataset: name, task: task.name, reason: "the task is listed twice")
            }
            guard let taskLabels = labels[task.name] else {
                throw DataError.invalidDataset(dataset: name, task: task.name, reason: "no labels given for the task")
            }
            guard taskLabels.shape == [count] else {
                throw DataError.invalidDataset(
                    dataset: name, task: task.name,
                    reason: "labels have shape \(taskLabels.shape), expected [\(count)] (one per example)")
            }
            if let problem = LabelCheck.firstInvalid(taskLabels, kind: task.kind) {
                throw DataError.invalidDataset(dataset: name, task: task.name, reason: problem)
            }
        }
        if let extra = labels.keys.sorted().first(where: { !seen.contains($0) }) {
            throw DataError.invalidDataset(dataset: name, task: extra, reason: "labels given for a task that is not listed in `tasks`")
        }
        self.name = name
        self.inputs = inputs
        self.tasks = tasks
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { inputs.shape[0] }

    /// The shape of one example (the input shape without its leading axis).
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// The names of the tasks, in order.
    public var taskNames: [String] { tasks.map(\.name) }

    /// The description of the task called `name`, if there is one.
    public func task(named name: String) -> TaskInfo? { tasks.first { $0.name == name } }
}
