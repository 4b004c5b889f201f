import NN
import Tensors

/// PCGrad (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning"): each task's gradient gᵢ is
/// projected, in a random order of the others, off every gⱼ it conflicts with:
/// gᵢ ← gᵢ − (gᵢ·gⱼ / ‖gⱼ‖²) gⱼ when gᵢ·gⱼ < 0; the update is the sum of the projected gradients.
/// The order is drawn from the run's seed and saved with the run.
public struct PCGrad: GradientMethod {
    public let name = "pcgrad"
    private var rng: RandomGenerator

    public init(seed: UInt64) { rng = RandomGenerator(seed: seed) }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        var projected = g.rows
        let norms = g.rows.map { GradientMatrix.dot($0, $0) }
        for i in 0..<g.tasks {
            for j in rng.permutation(g.tasks) where j != i && norms[j] > 0 {
                let d = GradientMatrix.dot(projected[i], g.rows[j])
                if d < 0 {
                    let scale = d / norms[j]
                    for k in projected[i].indices { projected[i][k] -= scale * g.rows[j][k] }
                }
            }
        }
        var sum = [Double](repeating: 0, count: projected[0].count)
        for row in projected { for k in sum.indices { sum[k] += row[k] } }
        return g.parameters(sum)
    }

    public var state: [String: [Double]] {
        get { ["rng": GeneratorState.encode(rng)] }
        set { if let saved = newValue["rng"], let restored = GeneratorState.decode(saved) { rng = restored } }
    }
}
