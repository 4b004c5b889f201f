import Tensors

/// DARE (Yu et al. 2024, "Language Models are Super Mario"): drop each task-vector entry with
/// probability p = 1 − density and rescale the kept ones by 1/(1 − p), so each entry keeps its
/// expectation; then merge linearly (`dare_linear`) or by TIES's sign election and disjoint mean
/// without its magnitude trim (`dare_ties`). Seeded: the same seed drops the same entries.
/// mergekit since 0.1.0 rescales each tensor to its L1 norm instead of by 1/density; we keep the
/// paper's rule.
public enum DAREMerge {
    /// Drops and rescales `delta` with `generator` (one draw per entry, in order).
    static func dropAndRescale(_ delta: [Float], density: Float, using generator: inout RandomGenerator) -> [Float] {
        guard density < 1 else { return delta }
        let scale = 1 / density
        return delta.map { value in
            let keep = Float(generator.next() >> 40) * 0x1p-24 < density  // a uniform in [0, 1) from 24 bits
            return keep ? value * scale : 0
        }
    }

    /// `dare_linear` (ties false) or `dare_ties` (ties true) over one tensor; `seed` and `tensorIndex`
    /// fix the draws, so the merge of a tensor does not depend on the others.
    public static func merge(base: [Float], models: [[Float]], inputs: [MergeInput], lambda: Float = 1, normalize: Bool = false, ties: Bool,
                             seed: UInt64, tensorIndex: Int) throws -> [Float] {
        try MergeChecks.shapes(models, inputs: inputs, base: base)
        let deltas = zip(MergeArithmetic.deltas(base: base, models: models), inputs).enumerated().map { i, pair in
            var generator = RandomGenerator(seed: seed &+ UInt64(tensorIndex) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i) &* 0xD1B5_4A32_D192_ED03)
            return dropAndRescale(pair.0, density: pair.1.density, using: &generator)
        }
        let mixed = ties ? TIESMerge.disjointMean(deltas, inputs: inputs, normalize: normalize) : TaskArithmetic.weightedSum(deltas, inputs: inputs, normalize: normalize)
        return MergeArithmetic.apply(base: base, mixed: mixed, lambda: lambda)
    }
}
