import Foundation
import Tensors

/// Checks that label values fit their task kind.
enum LabelCheck {
    /// The most classes a multiclass task may have, 2²⁴: labels are Float32, whose integers are
    /// exact only up to 2²⁴, and a larger count is a typo or an ID column, not a class set.
    static let maximumClasses = 1 << 24

    /// Why `classes` is not a usable class count (with the memory one example's logits would
    /// take when it is too large), or nil.
    static func classCountProblem(_ classes: Int) -> String? {
        if classes < 1 { return "a multiclass task needs at least 1 class, got \(classes)" }
        guard classes > maximumClasses else { return nil }
        let gib = String(format: "%.1f", Double(classes) * 4 / Double(1 << 30))
        return "\(classes) classes is more than \(maximumClasses) (2^24), the most whose labels are exact in Float32; one example's logits alone would need \(gib) GiB"
    }

    /// A description of the first label that is invalid for `kind`, or nil when all are valid.
    /// NaN (missing) is valid for every kind.
    static func firstInvalid(_ labels: Tensor, kind: TaskKind) -> String? {
        if case .multiclass(let classes) = kind, let problem = classCountProblem(classes) { return problem }
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
