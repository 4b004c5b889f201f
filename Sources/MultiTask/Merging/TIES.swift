/// TIES merging (Yadav et al. 2023, "TIES-Merging: Resolving Interference When Merging
/// Models"; mergekit's `ties`):
/// 1. trim: keep each task vector's k = ⌊density · n⌋ entries of largest magnitude, per tensor
///    (mergekit) or over the whole model (the paper's code: `threshold` from `globalThreshold`);
/// 2. elect a sign per entry: s = sign(Σᵢ wᵢδ̃ᵢ) ("mass"), +1 where the sum is 0;
/// 3. disjoint mean: Σᵢ wᵢδ̃ᵢ over the models whose wᵢδ̃ᵢ has sign s, divided by their Σ wᵢ
///    (1 where that is 0) when `normalize` (the default);
/// θ = θ_b + λ · that. Ties at the k-th magnitude go to the earlier entry (deterministic; mergekit's
/// argsort leaves them to the implementation).
public enum TIESMerge {
    public static func merge(base: [Float], models: [[Float]], inputs: [MergeInput], lambda: Float = 1, normalize: Bool = true,
                             thresholds: [Float]? = nil) throws -> [Float] {
        try MergeChecks.shapes(models, inputs: inputs, base: base)
        let deltas = try zip(MergeArithmetic.deltas(base: base, models: models), inputs).enumerated().map { i, pair in
            try thresholds.map { trim(pair.0, threshold: $0[i]) } ?? trim(pair.0, density: pair.1.density)
        }
        return MergeArithmetic.apply(base: base, mixed: disjointMean(deltas, inputs: inputs, normalize: normalize), lambda: lambda)
    }

    /// The `density · n` entries of largest magnitude (all when density is 1); the rest 0.
    static func trim(_ delta: [Float], density: Float) throws -> [Float] {
        guard density < 1 else { return delta }
        let k = Int(Double(density) * Double(delta.count))
        guard k > 0 else { throw ConfigurationError("ties: density \(density) keeps no entry of a tensor of \(delta.count) (k = ⌊density · n⌋ = 0); raise the density or trim over the whole model") }
        let order = delta.indices.sorted { Swift.abs(delta[$0]) > Swift.abs(delta[$1]) || (Swift.abs(delta[$0]) == Swift.abs(delta[$1]) && $0 < $1) }
        var kept = [Float](repeating: 0, count: delta.count)
        for j in order.prefix(k) { kept[j] = delta[j] }
        return kept
    }

    /// Entries of magnitude at least `threshold` (a whole model's cut, `globalThreshold`).
    static func trim(_ delta: [Float], threshold: Float) -> [Float] {
        delta.map { Swift.abs($0) >= threshold ? $0 : 0 }
    }

    /// The magnitude of the k-th largest entry, k = ⌊density · n⌋, over all of a model's tensors:
    /// TIES's trim over the whole model (its paper's code). Infinity keeps nothing; 0 keeps all.
    static func globalThreshold(_ tensors: [[Float]], density: Float) throws -> Float {
        guard density < 1 else { return 0 }
        let magnitudes = tensors.flatMap { $0.map(Swift.abs) }
        let k = Int(Double(density) * Double(magnitudes.count))
        guard k > 0 else { throw ConfigurationError("ties: density \(density) keeps no entry of the model's \(magnitudes.count)") }
        return magnitudes.sorted(by: >)[k - 1]
    }

    /// Sign election by mass and the disjoint mean (sum when not `normalize`).
    static func disjointMean(_ deltas: [[Float]], inputs: [MergeInput], normalize: Bool) -> [Float] {
        let n = deltas.first?.count ?? 0
        var mixed = [Float](repeating: 0, count: n)
        for j in 0..<n {
            var total: Float = 0
            for (delta, input) in zip(deltas, inputs) { total += delta[j] * input.weight }
            let sign: Float = total >= 0 ? 1 : -1
            var sum: Float = 0, divisor: Float = 0
            for (delta, input) in zip(deltas, inputs) {
                let value = delta[j] * input.weight
                guard value != 0, (value > 0) == (sign > 0) else { continue }
                sum += value
                divisor += input.weight
            }
            mixed[j] = normalize ? sum / (divisor == 0 ? 1 : divisor) : sum
        }
        return mixed
    }
}
