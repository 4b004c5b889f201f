import Foundation
import NN
import Tensors

/// Random loss weighting (Lin et al., TMLR 2022): each step, weights softmax(z) with z ~ N(0, I),
/// drawn from a seeded generator. A strong baseline despite knowing nothing about the tasks.
public struct RandomLossWeighting: LossWeighting {
    public let name = "rlw"
    public private(set) var weights: [Double]
    private var rng: RandomGenerator

    public init(tasks: Int, seed: UInt64) {
        weights = Array(repeating: 1 / Double(tasks), count: tasks)
        rng = RandomGenerator(seed: seed ^ 0x524C_5700)
    }

    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor {
        let z = losses.map { _ in Double(rng.nextNormal()) }
        let top = z.max() ?? 0
        let exps = z.map { Foundation.exp($0 - top) }
        let total = exps.reduce(0, +)
        weights = exps.map { $0 / total }
        return weightedSum(losses, weights)
    }

    /// The generator's four words as eight exact 32-bit halves (JSON-safe).
    public var state: [String: [Double]] {
        get { ["rng": GeneratorState.encode(rng)] }
        set { if let saved = newValue["rng"].flatMap(GeneratorState.decode) { rng = saved } }
    }
}
