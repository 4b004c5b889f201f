/// Task arithmetic (Ilharco et al. 2023, "Editing Models with Task Arithmetic"; mergekit's
/// `task_arithmetic`): θ = θ_b + λ · Σᵢ wᵢ(θᵢ − θ_b), divided by Σᵢ wᵢ when `normalize` (off by
/// default; a sum within 1e-8 of 0 is not divided, as in mergekit). One model at weight 1 and
/// λ = α is the α-scaled task vector θ_b + α·τ.
enum TaskArithmetic {
    static func run(_ chunk: MergeChunk, weights: [Double], normalize: Bool, lambda: Double) {
        let base = chunk.base!
        let scale = lambda / MergeArithmetic.divisor(weights, normalize: normalize)
        for j in 0..<chunk.count {
            let b = Double(base[j])
            var sum = 0.0
            for (model, weight) in zip(chunk.models, weights) { sum += weight * (Double(model[j]) - b) }
            chunk.out[j] = Float(b + scale * sum)
        }
    }
}
