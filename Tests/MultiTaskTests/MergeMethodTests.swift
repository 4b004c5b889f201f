import Foundation
@testable import MultiTask
import NN
import Tensors
import Testing

/// The merge methods on hand-built tensors whose results are worked out in the comments.
@Suite("Merge methods")
struct MergeMethodTests {
    /// Merges one-tensor models ("w") by `method`.
    func merge(_ method: MergeMethod, base: [Float]? = nil, _ models: [[Float]], weights: [Double]? = nil, density: Double = 1,
               fishers: [[Float]] = [], configure: (inout MergeSettings) -> Void = { _ in }) throws -> [Float] {
        var settings = MergeSettings(method: method)
        configure(&settings)
        let set = { (values: [Float]) in ParameterSet([("w", Tensor(values))]) }
        let inputs = (weights ?? models.map { _ in 1 }).map { MergeInput(weight: $0, density: density) }
        return try ModelMerge.merge(models.map(set), base: base.map(set), inputs: inputs, settings: settings, fishers: fishers.map(set))["w"]!.scalars
    }

    @Test func linearAveragesAndRefusesAZeroSum() throws {
        #expect(try merge(.linear, [[1, 2], [3, 4]]) == [2, 3])
        #expect(try merge(.linear, [[1, 2], [3, 4]], weights: [1, 3]) { $0.normalize = false } == [10, 14])
        #expect(throws: ConfigurationError.self) { try merge(.linear, [[1], [3]], weights: [1, -1]) }
        #expect(throws: ConfigurationError.self) { try merge(.linear, [[1], [3, 4]]) }
    }

    /// θ_b + λ Σ wᵢδᵢ: base (1, 1), deltas (1, 2) and (3, −2), λ 0.5 → (1 + 2, 1 + 0).
    @Test func taskArithmetic() throws {
        #expect(try merge(.taskArithmetic, base: [1, 1], [[2, 3], [4, -1]]) { $0.lambda = 0.5 } == [3, 1])
        // normalize divides by Σw = 4: (1 + (1·1 + 3·3)/4, 1 + (2 − 6)/4).
        #expect(try merge(.taskArithmetic, base: [1, 1], [[2, 3], [4, -1]], weights: [1, 3]) { $0.normalize = true } == [3.5, 0])
        #expect(throws: ConfigurationError.self) { try merge(.taskArithmetic, [[1]]) }  // no base
    }

    /// One task vector at λ = 1 gives back the fine-tuned model bit for bit, and λ = 0 the base,
    /// over magnitudes from 1e-6 to 1e6 (where θ_b + fl(θ − θ_b) in Float would not be exact).
    @Test func oneTaskVectorAtLambdaOneIsTheModelExactly() throws {
        var rng = RandomGenerator(seed: 11)
        let scale = { (r: inout RandomGenerator) in Float(pow(10, Double(r.nextUniform()) * 12 - 6)) * (r.nextUniform() < 0.5 ? -1 : 1) }
        let base = (0..<20_000).map { _ in scale(&rng) }
        let tuned = base.map { $0 + scale(&rng) * 1e-3 + (rng.nextUniform() < 0.1 ? scale(&rng) : 0) }
        #expect(zip(base, tuned).contains { $0 + ($1 - $0) != $1 }, "the test needs entries where Float arithmetic is not exact")
        #expect(try merge(.taskArithmetic, base: base, [tuned]) == tuned)
        #expect(try merge(.taskArithmetic, base: base, [tuned]) { $0.lambda = 0 } == base)
    }

    /// Three task vectors, density 0.5 (keep 2 of 4 entries each):
    /// δ1 = (3, −1, 0.5, 2) → (3, 0, 0, 2); δ2 = (−2, −4, 1, 1) → (−2, −4, 0, 0); δ3 = (1, 0, −0.2, −5) → (1, 0, 0, −5).
    /// Entry 0: sum 2 → +, agreeing 3 and 1 → mean 2. Entry 1: −4 → −4. Entry 2: nothing left, sum 0
    /// elects +, no one agrees → 0. Entry 3: 2 − 5 = −3 → −, only −5 agrees → −5.
    @Test func tiesTrimsElectsAndTakesTheDisjointMean() throws {
        let base: [Float] = [0, 0, 0, 0]
        let models: [[Float]] = [[3, -1, 0.5, 2], [-2, -4, 1, 1], [1, 0, -0.2, -5]]
        #expect(try merge(.ties, base: base, models, density: 0.5) == [2, -4, 0, -5])
        // Without normalize: the sum of the agreeing ones, (4, −4, 0, −5); λ scales it.
        #expect(try merge(.ties, base: base, models, density: 0.5) { $0.normalize = false; $0.lambda = 2 } == [8, -8, 0, -10])
        // Weights (1, 0.5, 2): entry 0 has 3, −1, 2 → + → (3 + 2) / (1 + 2).
        #expect(try merge(.ties, base: base, models, weights: [1, 0.5, 2], density: 0.5)[0] == Float(5.0 / 3))
        // A tie at the cut goes to the earlier entry; density 1 keeps everything.
        #expect(try merge(.ties, base: [0, 0, 0], [[1, -1, 1]], density: 0.34) == [1, 0, 0])
        #expect(try merge(.ties, base: [0, 0, 0], [[1, -1, 1]]) == [1, -1, 1])
        #expect(throws: ConfigurationError.self) { try merge(.ties, base: [0, 0, 0], [[1, 2, 3]], density: 0.2) }  // ⌊0.6⌋ = 0 kept
    }

    /// Over the whole model: magnitudes 3, 2, 1, 0.5 at density 0.5 cut at 2, so the second tensor
    /// keeps only its 2 (per tensor each would keep its larger half).
    @Test func tiesGlobalTrim() throws {
        let model = ParameterSet([("a", Tensor([3, -1])), ("b", Tensor([0.5, 2]))])
        let base = model.map { Tensor.zeros($0.shape) }
        var settings = MergeSettings(method: .ties)
        settings.trimScope = .global
        let global = try ModelMerge.merge([model], base: base, inputs: [.init(weight: 1, density: 0.5)], settings: settings)
        #expect(global["a"]!.scalars == [3, 0] && global["b"]!.scalars == [0, 2])
        let small = ParameterSet([("a", Tensor([0.5, 1])), ("b", Tensor([3, 2]))])
        let trimmed = try ModelMerge.merge([small], base: base, inputs: [.init(weight: 1, density: 0.5)], settings: settings)
        #expect(trimmed["a"]!.scalars == [0, 0], "over the model, a tensor may keep nothing")
        // Ties carry across tensors: four equal magnitudes, keep 2 → the first two met.
        let ties = ParameterSet([("a", Tensor([1, 1])), ("b", Tensor([-1, 1]))])
        let kept = try ModelMerge.merge([ties], base: base, inputs: [.init(weight: 1, density: 0.5)], settings: settings)
        #expect(kept["a"]!.scalars == [1, 1] && kept["b"]!.scalars == [0, 0])
    }

    /// The streaming cut keeps exactly k entries, the largest, ties to the earliest: checked
    /// against a sort on random data with many repeated magnitudes and zeros.
    @Test func magnitudeCutMatchesASort() throws {
        var rng = RandomGenerator(seed: 5)
        for trial in 0..<20 {
            let n = 1 + Int(rng.next() % 3000)
            let values: [Float] = (0..<n).map { _ in rng.nextUniform() < 0.2 ? 0 : Float(Int(rng.next() % 40) - 20) * (trial % 2 == 0 ? 1 : 1e-30) }
            let density = Double(rng.nextUniform()) * 0.98 + 0.01
            let k = Int(density * Double(n))
            guard k > 0 else { continue }
            var cut = try MagnitudeCut.keeping(density: density, of: n, what: "test") { visit in
                values.withUnsafeBufferPointer { visit(UnsafeBufferPointer(rebasing: $0[0 ..< n / 2])); visit(UnsafeBufferPointer(rebasing: $0[(n / 2)...])) }
            }
            let kept = values.map { cut.keeps($0) }
            let order = values.indices.sorted { (abs(values[$0]), -$0) > (abs(values[$1]), -$1) }
            let expected = Set(order.prefix(k))
            #expect(kept.indices.allSatisfy { kept[$0] == expected.contains($0) }, "trial \(trial): n \(n), k \(k)")
        }
    }

    /// Each entry kept with probability density and rescaled by 1/density: the mean is kept
    /// (over 200,000 entries, a 5σ band), the draws are the seed's and the tensor's, whatever
    /// else is merged, and density 1 changes nothing.
    @Test func dareKeepsTheExpectation() throws {
        let ones = [Float](repeating: 1, count: 200_000), zeros = [Float](repeating: 0, count: 200_000)
        let dropped = try merge(.dareLinear, base: zeros, [ones], density: 0.25) { $0.seed = 3 }
        let kept = dropped.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 4 })
        let sigma = (200_000 * 0.25 * 0.75).squareRoot()
        #expect(Swift.abs(Double(kept.count) - 50_000) < 5 * sigma, "\(kept.count)")
        #expect(try merge(.dareLinear, base: zeros, [ones], density: 0.25) { $0.seed = 3 } == dropped)
        #expect(try merge(.dareLinear, base: zeros, [ones], density: 0.25) { $0.seed = 4 } != dropped)
        #expect(try merge(.dareLinear, base: zeros, [ones]) == ones)
        // Another tensor before it changes nothing: the draws depend on the name, not the position.
        let model = ParameterSet([("other", Tensor([1, 2, 3, 4, 5, 6, 7, 8])), ("w", Tensor(ones))])
        let base = model.map { Tensor.zeros($0.shape) }
        var settings = MergeSettings(method: .dareLinear)
        settings.seed = 3
        #expect(try ModelMerge.merge([model], base: base, inputs: [.init(weight: 1, density: 0.25)], settings: settings)["w"]!.scalars == dropped)
        // dare_ties: sums of ±2 that agree, never mixed.
        let one = try merge(.dareTies, base: [Float](repeating: 0, count: 8), [[Float](repeating: 1, count: 8), [Float](repeating: -1, count: 8)], density: 0.5) { $0.seed = 7 }
        #expect(one.allSatisfy { [-2, 0, 2].contains($0) })
        #expect(throws: ConfigurationError.self) { try merge(.dareLinear, base: [0], [[1]], density: 0) }
    }

    /// θ = Σ cᵢF̃ᵢθᵢ / Σ cᵢF̃ᵢ: θ = (1, 1), (3, 3), F = (1, 1), (3, 0) → (1 + 9)/4 = 2.5, and where the
    /// second model's Fisher is 0 the first (floored) model decides: 1.
    @Test func fisherWeightsByTheFisher() throws {
        let result = try merge(.fisher, [[1, 1], [3, 3]], fishers: [[1, 1], [3, 0]]) { $0.normalizeFishers = false }
        #expect(result == [2.5, 1])
        // Normalised: ‖F₁‖ = √2, ‖F₂‖ = 3, so c = (1/√2, 1/3): entry 0 = (1/√2 + 3)/(1/√2 + 1).
        let normalised = try merge(.fisher, [[1, 1], [3, 3]], fishers: [[1, 1], [3, 0]])
        let c = 1 / 2.0.squareRoot()
        #expect(normalised[0] == Float((c + 3) / (c + 1)))
        #expect(throws: ConfigurationError.self) { try merge(.fisher, [[1], [3]], fishers: [[1]]) }
        #expect(throws: ConfigurationError.self) { try merge(.fisher, [[1], [3]], weights: [1, 0], fishers: [[1], [1]]) }
        #expect(throws: ConfigurationError.self) { try merge(.fisher, [[1], [3]], fishers: [[1], [-1]]) }
    }

    /// Name filters: the excluded tensors (a task's head) come from the base unchanged.
    @Test func excludedTensorsComeFromTheBase() throws {
        let base = ParameterSet([("trunk.w", Tensor([0, 0])), ("heads.a.w", Tensor([5]))])
        let tuned = ParameterSet([("trunk.w", Tensor([1, 2])), ("heads.a.w", Tensor([9]))])
        let merged = try ModelMerge.merge([tuned, tuned], base: base, inputs: [.init(weight: 1), .init(weight: 1)],
                                          settings: MergeSettings(method: .taskArithmetic), include: { $0.hasPrefix("trunk.") })
        #expect(merged["trunk.w"]!.scalars == [2, 4] && merged["heads.a.w"]!.scalars == [5])
        #expect(throws: ConfigurationError.self) {
            try ModelMerge.merge([tuned, base.filter { $0 == "trunk.w" }], base: base, inputs: [.init(weight: 1), .init(weight: 1)], settings: MergeSettings(method: .taskArithmetic))
        }
        let nonFinite = ParameterSet([("trunk.w", Tensor([1, .nan])), ("heads.a.w", Tensor([9]))])
        #expect(throws: ConfigurationError.self) {
            try ModelMerge.merge([nonFinite], base: base, inputs: [.init(weight: 1)], settings: MergeSettings(method: .taskArithmetic))
        }
    }
}
