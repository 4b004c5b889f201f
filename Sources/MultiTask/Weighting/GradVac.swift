import Foundation
import NN
import Tensors

/// Gradient Vaccine (Wang et al. 2021, "Gradient Vaccine: Investigating and Improving Multi-task
/// Optimization in Massively Multilingual Models"): each pair keeps an exponential moving target
/// φ̂ᵢⱼ ← (1 − β)φ̂ᵢⱼ + β·cos(gᵢ, gⱼ) (from 0). When cos(gᵢ, gⱼ) < φ̂ᵢⱼ, gᵢ is moved toward gⱼ until its
/// cosine is the target: gᵢ += ‖gᵢ‖(φ̂√(1 − cos²) − cos√(1 − φ̂²)) / (‖gⱼ‖√(1 − φ̂²)) · gⱼ. Like
/// PCGrad, the partners come in a seeded random order; the targets and the generator are saved.
/// Over the whole shared vector (LibMTL's "all" grouping); the update is the sum.
public struct GradVac: GradientMethod {
    public let name = "gradvac"
    public let beta: Double
    private var targets: [[Double]]
    private var rng: RandomGenerator

    public init(tasks: Int, beta: Double = 0.5, seed: UInt64) {
        (self.beta, targets, rng) = (beta, Array(repeating: Array(repeating: 0, count: tasks), count: tasks), RandomGenerator(seed: seed))
    }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        var vaccinated = g.rows
        for i in 0..<g.tasks {
            for j in rng.permutation(g.tasks) where j != i {
                let ni = GradientMatrix.dot(vaccinated[i], vaccinated[i]).squareRoot(), nj = GradientMatrix.dot(g.rows[j], g.rows[j]).squareRoot()
                guard ni > 0, nj > 0 else { continue }
                let cosine = GradientMatrix.dot(vaccinated[i], g.rows[j]) / (ni * nj)
                let target = targets[i][j]
                if cosine < target {
                    let scale = ni * (target * Swift.max(0, 1 - cosine * cosine).squareRoot() - cosine * Swift.max(0, 1 - target * target).squareRoot())
                        / (nj * Swift.max(1e-12, (1 - target * target).squareRoot()))
                    for k in vaccinated[i].indices { vaccinated[i][k] += scale * g.rows[j][k] }
                }
                targets[i][j] = (1 - beta) * target + beta * cosine
            }
        }
        var sum = [Double](repeating: 0, count: vaccinated[0].count)
        for row in vaccinated { for k in sum.indices { sum[k] += row[k] } }
        return g.parameters(sum)
    }

    public var state: [String: [Double]] {
        get { ["targets": targets.flatMap { $0 }, "rng": GeneratorState.encode(rng)] }
        set {
            if let flat = newValue["targets"], flat.count == targets.count * targets.count {
                targets = (0..<targets.count).map { Array(flat[($0 * targets.count) ..< (($0 + 1) * targets.count)]) }
            }
            if let saved = newValue["rng"], let restored = GeneratorState.decode(saved) { rng = restored }
        }
    }
}
