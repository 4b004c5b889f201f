/// Fisher-weighted averaging (Matena & Raffel 2022, "Merging Models with Fisher-Weighted
/// Averaging"): θ = Σᵢ cᵢF̃ᵢθᵢ / Σᵢ cᵢF̃ᵢ per entry, where Fᵢ is model i's diagonal Fisher,
/// F̃ᵢ = max(Fᵢ, floor) (for the first model only when `favorFirst`, as in the paper's code, so
/// entries no other model is sensitive to come from it), and cᵢ = wᵢ/‖Fᵢ‖₂ when the Fishers are
/// normalised (else wᵢ). With positive weights and floor the denominator is never 0.
enum FisherMerge {
    static func run(_ chunk: MergeChunk, scales: [Double], floor: Double, favorFirst: Bool) {
        for j in 0..<chunk.count {
            var numerator = 0.0, denominator = 0.0
            for i in chunk.models.indices {
                var f = Double(chunk.fishers[i][j])
                if !favorFirst || i == 0 { f = Swift.max(f, floor) }
                numerator += scales[i] * f * Double(chunk.models[i][j])
                denominator += scales[i] * f
            }
            chunk.out[j] = Float(numerator / denominator)
        }
    }
}
