/// What a merge method needs per model, in mergekit's vocabulary: `weight` (required) and
/// `density` (the fraction of a task vector's entries kept; 1 keeps all).
public struct MergeInput: Sendable, Equatable {
    public var weight: Float
    public var density: Float

    public init(weight: Float, density: Float = 1) { (self.weight, self.density) = (weight, density) }
}

/// Merge arithmetic over one tensor's values, in float32 and in mergekit's order of operations
/// (`generalized_task_arithmetic.py`): deltas δᵢ = θᵢ − θ_b, sparsified unweighted, weighted,
/// summed in model order, divided, scaled by λ, added to the base.
enum MergeArithmetic {
    /// δᵢ = θᵢ − θ_b for each model.
    static func deltas(base: [Float], models: [[Float]]) -> [[Float]] {
        models.map { model in zip(model, base).map { $0 - $1 } }
    }

    /// θ_b + λ · mixed, entry by entry.
    static func apply(base: [Float], mixed: [Float], lambda: Float) -> [Float] {
        lambda == 1 ? zip(base, mixed).map { $0 + $1 } : zip(base, mixed).map { $0 + $1 * lambda }
    }
}
