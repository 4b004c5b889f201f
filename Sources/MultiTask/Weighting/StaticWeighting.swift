import NN
import Tensors

/// Fixed, user-chosen weights: Σₖ wₖ·Lₖ.
public struct StaticWeighting: LossWeighting {
    public let name = "static"
    public let weights: [Double]
    public init(_ weights: [Double]) { self.weights = weights }
    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor { weightedSum(losses, weights) }
}
