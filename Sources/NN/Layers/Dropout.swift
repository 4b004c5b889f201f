import Tensors

/// Zeroes each element with probability p in training and scales the rest by 1/(1−p); the
/// identity in evaluation. Draws come from the layer's own seeded generator, so runs repeat.
public final class Dropout: Module {
    public let probability: Float
    /// The generator state; part of a training checkpoint for exact resume.
    public var rng: RandomGenerator

    public init(_ probability: Float = 0.5, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1)")
        self.probability = probability
        self.rng = RandomGenerator(seed: seed)
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining && probability > 0 else { return x }
        let mask = Tensor.bernoulli(x.shape, probability: 1 - probability, using: &rng) / (1 - probability)
        return x * mask
    }

    public override var summary: String { "Dropout(p=\(probability))" }
}
