/// Linear merging (model soups, Wortsman et al. 2022; mergekit's `linear`): θ = Σᵢ wᵢθᵢ, divided
/// by Σᵢ wᵢ when `normalize` (the default). Weights summing to 0 with `normalize` are an error
/// (mergekit divides by zero).
public enum LinearMerge {
    public static func merge(_ models: [[Float]], inputs: [MergeInput], normalize: Bool = true) throws -> [Float] {
        try MergeChecks.shapes(models, inputs: inputs)
        let total = inputs.reduce(Float(0)) { $0 + $1.weight }
        if normalize && total == 0 { throw ConfigurationError("linear: the weights sum to 0, so normalising divides by zero (set normalize: false, or other weights)") }
        var sum = [Float](repeating: 0, count: models[0].count)
        for (model, input) in zip(models, inputs) {
            for j in sum.indices { sum[j] += model[j] * input.weight }
        }
        return normalize ? sum.map { $0 / total } : sum
    }
}

/// Checks shared by the merge methods.
enum MergeChecks {
    static func shapes(_ models: [[Float]], inputs: [MergeInput], base: [Float]? = nil) throws {
        guard !models.isEmpty else { throw ConfigurationError("merge: no models") }
        guard models.count == inputs.count else { throw ConfigurationError("merge: \(models.count) models but \(inputs.count) parameter sets") }
        let n = base?.count ?? models[0].count
        guard models.allSatisfy({ $0.count == n }) else { throw ConfigurationError("merge: the models' tensors differ in size (\(models.map(\.count)))") }
        for input in inputs {
            guard input.weight.isFinite else { throw ConfigurationError("merge: weight \(input.weight) is not a finite number") }
            guard input.density > 0, input.density <= 1 else { throw ConfigurationError("merge: density must be in (0, 1], got \(input.density)") }
        }
    }
}
