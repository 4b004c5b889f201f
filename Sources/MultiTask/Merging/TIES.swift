/// TIES merging (Yadav et al. 2023, "TIES-Merging: Resolving Interference When Merging
/// Models"; mergekit's `ties`):
/// 1. trim: keep each task vector δᵢ = θᵢ − θ_b's k = ⌊density · n⌋ entries of largest magnitude,
///    ranked per tensor (mergekit) or over the whole model (the paper's code), ties going to the
///    entry met first (`MagnitudeCut`);
/// 2. elect a sign per entry: s = sign(Σᵢ wᵢδ̃ᵢ) ("mass"), + where the sum is 0;
/// 3. disjoint mean: Σᵢ wᵢδ̃ᵢ over the models whose wᵢδ̃ᵢ has sign s, divided by their Σ wᵢ
///    (1 where that is 0) when `normalize` (the default);
/// θ = θ_b + λ · that. The trim ranks the Float differences, the sums are in Double.
enum TIESMerge {
    static func run(_ chunk: MergeChunk, weights: [Double], normalize: Bool, lambda: Double, cuts: inout [MagnitudeCut]) {
        let base = chunk.base!
        withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk.models.count) { values in
            for j in 0..<chunk.count {
                let b = base[j]
                for (i, model) in chunk.models.enumerated() {
                    values[i] = cuts[i].keeps(model[j] - b) ? weights[i] * (Double(model[j]) - Double(b)) : 0
                }
                chunk.out[j] = Float(Double(b) + lambda * MergeArithmetic.disjointMean(values, weights: weights, normalize: normalize))
            }
        }
    }
}
