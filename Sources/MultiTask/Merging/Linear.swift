/// Linear merging (model soups, Wortsman et al. 2022; mergekit's `linear`): θ = Σᵢ wᵢθᵢ, divided
/// by Σᵢ wᵢ when `normalize` (the default).
enum LinearMerge {
    static func run(_ chunk: MergeChunk, weights: [Double], normalize: Bool) {
        let divisor = normalize ? weights.reduce(0, +) : 1
        for j in 0..<chunk.count {
            var sum = 0.0
            for (model, weight) in zip(chunk.models, weights) { sum += weight * Double(model[j]) }
            chunk.out[j] = Float(sum / divisor)
        }
    }
}
