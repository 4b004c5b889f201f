import Tensors

/// Checks that label values fit their task kind.
enum LabelCheck {
    /// A description of the first label that is invalid for `kind`, or nil when all are valid.
    /// NaN (missing) is valid for every kind.
    static func firstInvalid(_ labels: Tensor, kind: TaskKind) -> String? {
        if case .multiclass(let classes) = kind, classes < 1 {
            return "a multiclass task needs at least 1 class, got \(classes)"
        }
        return labels.withUnsafeBufferPointer { values -> String? in
            for (i, value) in values.enumerated() where !value.isNaN {
                if let problem = invalidity(of: value, kind: kind) { return "example \(i): \(problem)" }
            }
            return nil
        }
    }

    /// Why a single non-NaN `value` is not a valid label for `kind`, or nil when it is.
    static func invalidity(of value: Float, kind: TaskKind) -> String? {
        switch kind {
        case .multiclass(let classes):
            guard value >= 0, value < Float(classes), value.rounded(.towardZero) == value else {
                return "label \(value) is not a class index in 0..<\(classes)"
            }
        case .binary:
            guard value == 0 || value == 1 else { return "label \(value) is not 0 or 1" }
        case .regression:
            guard value.isFinite else { return "label \(value) is not a finite number" }
        }
        return nil
    }
}
