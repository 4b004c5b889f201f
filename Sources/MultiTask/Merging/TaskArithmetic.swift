/// Task arithmetic (Ilharco et al. 2023, "Editing Models with Task Arithmetic"; mergekit's
/// `task_arithmetic`): θ = θ_b + λ · Σᵢ wᵢ(θᵢ − θ_b), divided by Σᵢ wᵢ when `normalize` (off by
/// default; a sum within 1e-8 of 0 is not divided, as in mergekit).
public enum TaskArithmetic {
    public static func merge(base: [Float], models: [[Float]], inputs: [MergeInput], lambda: Float = 1, normalize: Bool = false) throws -> [Float] {
        try MergeChecks.shapes(models, inputs: inputs, base: base)
        return MergeArithmetic.apply(base: base, mixed: weightedSum(MergeArithmetic.deltas(base: base, models: models), inputs: inputs, normalize: normalize), lambda: lambda)
    }

    /// Σᵢ wᵢδᵢ (÷ Σᵢ wᵢ when `normalize` and the sum is not within 1e-8 of 0).
    static func weightedSum(_ deltas: [[Float]], inputs: [MergeInput], normalize: Bool) -> [Float] {
        var mixed = [Float](repeating: 0, count: deltas.first?.count ?? 0)
        for (delta, input) in zip(deltas, inputs) {
            for j in mixed.indices { mixed[j] += delta[j] * input.weight }
        }
        var divisor = inputs.reduce(Float(0)) { $0 + $1.weight }
        if Swift.abs(divisor) < 1e-8 { divisor = 1 }
        return normalize ? mixed.map { $0 / divisor } : mixed
    }
}
