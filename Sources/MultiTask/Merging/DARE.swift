/// DARE (Yu et al. 2024, "Language Models are Super Mario"): drop each task-vector entry with
/// probability p = 1 − density and rescale the kept ones by 1/(1 − p), so each entry keeps its
/// expectation; then merge linearly (`dare_linear`: θ_b + λ Σᵢ wᵢδ̃ᵢ) or by TIES's sign election
/// and disjoint mean without its magnitude trim (`dare_ties`). mergekit since 0.1.0 rescales each
/// tensor to its L1 norm instead of by 1/density; we keep the paper's rule. Each draw depends
/// only on the seed, the tensor's name, the model's position and the entry's index, so a merge
/// is the same however it is chunked or ordered.
enum DAREMerge {
    static func run(_ chunk: MergeChunk, inputs: [MergeInput], normalize: Bool, lambda: Double, ties: Bool, rescale: Bool, key: UInt64) {
        let base = chunk.base!
        let weights = inputs.map(\.weight)
        let scales = inputs.map { rescale ? $0.weight / $0.density : $0.weight }
        let divisor = MergeArithmetic.divisor(weights, normalize: normalize)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk.models.count) { values in
            for j in 0..<chunk.count {
                let b = Double(base[j])
                for (i, model) in chunk.models.enumerated() {
                    let kept = inputs[i].density >= 1 || keeps(key: key, model: i, entry: chunk.offset + j, density: inputs[i].density)
                    values[i] = kept ? scales[i] * (Double(model[j]) - b) : 0
                }
                let mixed: Double
                if ties {
                    mixed = MergeArithmetic.disjointMean(values, weights: weights, normalize: normalize)
                } else {
                    var sum = 0.0
                    for v in values { sum += v }
                    mixed = sum / divisor
                }
                chunk.out[j] = Float(b + lambda * mixed)
            }
        }
    }

    /// Whether entry `entry` of model `model` survives: a uniform in [0, 1) from a SplitMix64
    /// hash of (key, model, entry), below `density`.
    @inline(__always)
    static func keeps(key: UInt64, model: Int, entry: Int, density: Double) -> Bool {
        var x = key ^ (UInt64(model) &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(entry) &* 0xD1B5_4A32_D192_ED03
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Double(x >> 11) * 0x1p-53 < density
    }

    /// The per-tensor key: the seed mixed with an FNV-1a hash of the tensor's name.
    static func key(seed: UInt64, tensor name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash ^ seed &* 0x9E37_79B9_7F4A_7C15
    }
}
