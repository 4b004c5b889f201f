/// A task's name, kind and a one-line description of how its labels are made, so that reports
/// and saved models can say what each head was trained to predict.
public struct TaskInfo: Sendable, Equatable, Codable {
    /// The task's unique name within its dataset; also the key of its labels.
    public var name: String
    /// What the task predicts.
    public var kind: TaskKind
    /// How the labels are made, in one line.
    public var summary: String

    /// A task description.
    public init(name: String, kind: TaskKind, summary: String = "") {
        self.name = name
        self.kind = kind
        self.summary = summary
    }
}
