import Foundation
import NN
import Tensors

/// Uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018), in LibMTL's form: a learned
/// log-variance sₖ per task (initially −0.5) and the objective Σₖ Lₖ / (2e^{sₖ}) + sₖ/2, so a task's
/// weight 1/(2e^{sₖ}) falls as its loss stays high; the sₖ/2 term stops it reaching zero.
public struct UncertaintyWeighting: LossWeighting {
    public let name = "uw"
    public var parameters: ParameterSet
    public private(set) var weights: [Double]

    public init(tasks: Int) {
        parameters = ParameterSet([("weighting.log_variance", Tensor.full([tasks], -0.5))])
        weights = Array(repeating: 1 / (2 * Foundation.exp(-0.5)), count: tasks)
    }

    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor {
        let s = parameters["weighting.log_variance"]!
        weights = s.scalars.map { 1 / (2 * Foundation.exp(Double($0))) }
        let stacked = Tensor.stack(losses.map { $0.reshaped([]) })
        return (stacked / (s.exp() * 2) + s / 2).sum()
    }
}
