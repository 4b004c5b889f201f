import Tensors

/// PyTorch's default initialisation for linear and convolution layers: weights from
/// kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in), and biases from the same bound.
/// The random stream is ours (seeded), so values differ from PyTorch's; the distribution is the same.
public enum Initialization {
    /// U(−1/√fanIn, 1/√fanIn): PyTorch's `kaiming_uniform_(a=√5)` bound gain·√(3/fan_in) with
    /// gain = √(2/(1+5)), which simplifies to 1/√fan_in.
    public static func pytorchDefault(_ shape: [Int], fanIn: Int, using rng: inout RandomGenerator) -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }
}
