import Tensors

/// max(x, 0).
public final class ReLU: Module {
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
    public override var summary: String { "ReLU()" }
}

/// x for x > 0, else slope·x.
public final class LeakyReLU: Module {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope: slope) }
    public override var summary: String { "LeakyReLU(negative_slope=\(slope))" }
}

/// x·Φ(x) (exact), or its tanh approximation.
public final class GELU: Module {
    public let approximate: Bool
    public init(approximate: Bool = false) { self.approximate = approximate }
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
    public override var summary: String { approximate ? "GELU(approximate='tanh')" : "GELU()" }
}

/// Hyperbolic tangent.
public final class Tanh: Module {
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
    public override var summary: String { "Tanh()" }
}

/// Logistic sigmoid.
public final class Sigmoid: Module {
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
    public override var summary: String { "Sigmoid()" }
}

/// Collapses all axes after the first (PyTorch's `nn.Flatten()`).
public final class Flatten: Module {
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.flattened() }
    public override var summary: String { "Flatten(start_dim=1, end_dim=-1)" }
}
