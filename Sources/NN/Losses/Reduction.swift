import Tensors

/// How a per-element loss is reduced, as PyTorch's `reduction` argument.
public enum Reduction: String, Sendable, CaseIterable, Codable {
    case none, mean, sum

    /// Applies the reduction to per-element losses.
    func apply(_ losses: Tensor) -> Tensor {
        switch self {
        case .none: losses
        case .mean: losses.mean()
        case .sum: losses.sum()
        }
    }
}
