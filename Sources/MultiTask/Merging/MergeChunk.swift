/// A run of one tensor's entries as a merge sees them: the same elements of the base, of every
/// model and (for Fisher merging) of every model's Fisher, and where the result goes. Every
/// method's rule is per entry, so a tensor of any size is merged a chunk at a time.
struct MergeChunk {
    let base: UnsafeBufferPointer<Float>?
    let models: [UnsafeBufferPointer<Float>]
    let fishers: [UnsafeBufferPointer<Float>]
    /// The position of the chunk's first entry in its tensor.
    let offset: Int
    let out: UnsafeMutableBufferPointer<Float>

    var count: Int { out.count }
}

/// Arithmetic shared by the methods. Sums are taken in Double and rounded to Float once, so the
/// result does not depend on the number of models' rounding, and one task vector at λ = 1 gives
/// back its model exactly (θ_b + (θ − θ_b) is exact in Double for any two floats whose exponents
/// differ by less than 29).
enum MergeArithmetic {
    /// Σ wᵢ when `normalize` and it is not within 1e-8 of 0 (mergekit's guard), else 1.
    static func divisor(_ weights: [Double], normalize: Bool) -> Double {
        let total = weights.reduce(0, +)
        return normalize && Swift.abs(total) >= 1e-8 ? total : 1
    }

    /// TIES's sign election and disjoint mean over per-model weighted values vᵢ = wᵢδᵢ (0 where
    /// trimmed or dropped): s = sign(Σ vᵢ) (+ for 0), then Σ of the vᵢ of sign s, divided by the Σ wᵢ
    /// of those models (1 if none) when `normalize`.
    @inline(__always)
    static func disjointMean(_ values: UnsafeMutableBufferPointer<Double>, weights: [Double], normalize: Bool) -> Double {
        var total = 0.0
        for v in values { total += v }
        let positive = total >= 0
        var sum = 0.0, divisor = 0.0
        for (i, v) in values.enumerated() where v != 0 && (v > 0) == positive {
            sum += v
            divisor += weights[i]
        }
        return normalize ? sum / (divisor == 0 ? 1 : divisor) : sum
    }
}
