import Foundation
import NN
import Tensors

/// GradDrop (Chen et al. 2020, "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient
/// Sign Dropout"): per entry, the sign purity P = ½(1 + Σₜgₜ / Σₜ|gₜ|); with U uniform in [0, 1),
/// keep the positive gradients when P > U and the negative ones when P < U; the update is the sum
/// of what is kept. The paper applies it at the shared representation; here it runs on the shared
/// parameters. The draws come from the run's seed and are saved with the run.
public struct GradDrop: GradientMethod {
    public let name = "graddrop"
    private var rng: RandomGenerator

    public init(seed: UInt64) { rng = RandomGenerator(seed: seed) }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        let count = g.rows.first?.count ?? 0
        var out = [Double](repeating: 0, count: count)
        for k in 0..<count {
            var sum = 0.0, magnitude = 0.0
            for row in g.rows { sum += row[k]; magnitude += Swift.abs(row[k]) }
            let u = Double(rng.nextUniform())
            guard magnitude > 0 else { continue }
            let purity = 0.5 * (1 + sum / magnitude)
            for row in g.rows where (row[k] > 0 && purity > u) || (row[k] < 0 && purity < u) { out[k] += row[k] }
        }
        return g.parameters(out)
    }

    public var state: [String: [Double]] {
        get { ["rng": GeneratorState.encode(rng)] }
        set { if let saved = newValue["rng"], let restored = GeneratorState.decode(saved) { rng = restored } }
    }
}
