import NN
import Tensors

/// Every task weighted 1: the objective is Σₖ Lₖ (LibMTL's EW).
public struct EqualWeighting: LossWeighting {
    public let name = "equal"
    public private(set) var weights: [Double]
    public init(tasks: Int) { weights = Array(repeating: 1, count: tasks) }
    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor { weightedSum(losses, weights) }
}
