import Foundation
@testable import MultiTask
import Tensors
import Testing

/// The merge methods on hand-built tensors whose results are worked out in the comments.
@Suite("Merge methods")
struct MergeMethodTests {
    @Test func linearAveragesAndRefusesAZeroSum() throws {
        #expect(try LinearMerge.merge([[1, 2], [3, 4]], inputs: [.init(weight: 1), .init(weight: 1)]) == [2, 3])
        #expect(try LinearMerge.merge([[1, 2], [3, 4]], inputs: [.init(weight: 1), .init(weight: 3)], normalize: false) == [10, 14])
        #expect(throws: ConfigurationError.self) { try LinearMerge.merge([[1], [3]], inputs: [.init(weight: 1), .init(weight: -1)]) }
        #expect(throws: ConfigurationError.self) { try LinearMerge.merge([[1], [3, 4]], inputs: [.init(weight: 1), .init(weight: 1)]) }
    }

    /// θ_b + λ Σ wᵢδᵢ: base (1, 1), deltas (1, 2) and (3, −2), λ 0.5 → (1 + 2, 1 + 0).
    @Test func taskArithmetic() throws {
        let base: [Float] = [1, 1]
        #expect(try TaskArithmetic.merge(base: base, models: [[2, 3], [4, -1]], inputs: [.init(weight: 1), .init(weight: 1)], lambda: 0.5) == [3, 1])
        // normalize divides by Σw = 4: (1 + (1·1 + 3·3)/4, 1 + (2 − 6)/4).
        #expect(try TaskArithmetic.merge(base: base, models: [[2, 3], [4, -1]], inputs: [.init(weight: 1), .init(weight: 3)], normalize: true) == [3.5, 0])
    }

    /// Three task vectors, density 0.5 (keep 2 of 4 entries each):
    /// δ1 = (3, −1, 0.5, 2) → (3, 0, 0, 2); δ2 = (−2, −4, 1, 1) → (−2, −4, 0, 0); δ3 = (1, 0, −0.2, −5) → (1, 0, 0, −5).
    /// Entry 0: sum 2 → +, agreeing 3 and 1 → mean 2. Entry 1: −4 → −4. Entry 2: nothing left, sum 0
    /// elects +, no one agrees → 0. Entry 3: 2 − 5 = −3 → −, only −5 agrees → −5.
    @Test func tiesTrimsElectsAndTakesTheDisjointMean() throws {
        let base: [Float] = [0, 0, 0, 0]
        let models: [[Float]] = [[3, -1, 0.5, 2], [-2, -4, 1, 1], [1, 0, -0.2, -5]]
        let half = [MergeInput](repeating: .init(weight: 1, density: 0.5), count: 3)
        #expect(try TIESMerge.merge(base: base, models: models, inputs: half) == [2, -4, 0, -5])
        // Without normalize: the sum of the agreeing ones, (4, −4, 0, −5); λ scales it.
        #expect(try TIESMerge.merge(base: base, models: models, inputs: half, lambda: 2, normalize: false) == [8, -8, 0, -10])
        // Weights (1, 0.5, 2): entry 0 has 3, −1, 2 → + → (3 + 2) / (1 + 2).
        let weighted: [MergeInput] = [.init(weight: 1, density: 0.5), .init(weight: 0.5, density: 0.5), .init(weight: 2, density: 0.5)]
        #expect(try TIESMerge.merge(base: base, models: models, inputs: weighted)[0] == Float(5) / 3)
        // A tie at the cut goes to the earlier entry; density 1 keeps everything.
        #expect(try TIESMerge.trim([1, -1, 1], density: 0.34) == [1, 0, 0])
        #expect(try TIESMerge.trim([1, -1, 1], density: 1) == [1, -1, 1])
        #expect(throws: ConfigurationError.self) { try TIESMerge.trim([1, 2, 3], density: 0.2) }  // ⌊0.6⌋ = 0 kept
    }

    /// Over the whole model: magnitudes 3, 2, 1, 0.5 at density 0.5 cut at 2.
    @Test func tiesGlobalTrim() throws {
        let tensors: [[Float]] = [[3, -1], [0.5, 2]]
        let threshold = try TIESMerge.globalThreshold(tensors, density: 0.5)
        #expect(threshold == 2)
        #expect(tensors.map { TIESMerge.trim($0, threshold: threshold) } == [[3, 0], [0, 2]])
        // Trimmed over the model, a tensor may keep nothing at all (per tensor it keeps half).
        #expect(TIESMerge.trim([0.5, 1], threshold: threshold) == [0, 0])
    }

    /// Each entry kept with probability density and rescaled by 1/density: the mean is kept
    /// (over 200,000 entries, a 5σ band), the draws are the seed's, density 1 changes nothing.
    @Test func dareKeepsTheExpectation() throws {
        let delta = [Float](repeating: 1, count: 200_000)
        var generator = RandomGenerator(seed: 3)
        let dropped = DAREMerge.dropAndRescale(delta, density: 0.25, using: &generator)
        let kept = dropped.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 4 })
        let sigma = (200_000 * 0.25 * 0.75).squareRoot()
        #expect(Swift.abs(Double(kept.count) - 50_000) < 5 * sigma, "\(kept.count)")
        var again = RandomGenerator(seed: 3)
        #expect(DAREMerge.dropAndRescale(delta, density: 0.25, using: &again) == dropped)
        #expect(DAREMerge.dropAndRescale(delta, density: 1, using: &again) == delta)
        let base = [Float](repeating: 0, count: 8), models: [[Float]] = [[Float](repeating: 1, count: 8), [Float](repeating: -1, count: 8)]
        let inputs = [MergeInput](repeating: .init(weight: 1, density: 0.5), count: 2)
        let one = try DAREMerge.merge(base: base, models: models, inputs: inputs, ties: true, seed: 7, tensorIndex: 0)
        #expect(one == (try DAREMerge.merge(base: base, models: models, inputs: inputs, ties: true, seed: 7, tensorIndex: 0)))
        #expect(one.allSatisfy { [-2, 0, 2].contains($0) })  // sums of ±2 that agree, never mixed
        #expect(throws: ConfigurationError.self) { try DAREMerge.merge(base: base, models: models, inputs: [.init(weight: 1, density: 0), .init(weight: 1)], ties: false, seed: 0, tensorIndex: 0) }
    }
}
