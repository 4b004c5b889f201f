/// What a task predicts: one of `classes` classes, a 0/1 attribute, or a real value.
/// Losses, heads and metrics are chosen from it.
public enum TaskKind: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A class index in `0..<classes`.
    case multiclass(classes: Int)
    /// A 0/1 label.
    case binary
    /// A real-valued target.
    case regression

    /// Whether labels are class indices (multiclass or binary), as class balancing requires.
    public var isClassification: Bool {
        if case .regression = self { return false }
        return true
    }

    /// The number of classes of a classification task (2 for binary), nil for regression.
    public var classCount: Int? {
        switch self {
        case .multiclass(let classes): return classes
        case .binary: return 2
        case .regression: return nil
        }
    }

    /// `multiclass(<classes>)`, `binary` or `regression`.
    public var description: String {
        switch self {
        case .multiclass(let classes): return "multiclass(\(classes))"
        case .binary: return "binary"
        case .regression: return "regression"
        }
    }
}
