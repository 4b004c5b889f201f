import Tensors

/// y = x·Wᵀ + b with weight [out, in] and bias [out] (PyTorch's `nn.Linear`).
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    private let hasBias: Bool

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        (self.inFeatures, self.outFeatures, self.hasBias) = (inFeatures, outFeatures, bias)
        super.init()
        registerParameter("weight", Initialization.pytorchDefault([outFeatures, inFeatures], fanIn: inFeatures, using: &rng))
        if bias { registerParameter("bias", Initialization.pytorchDefault([outFeatures], fanIn: inFeatures, using: &rng)) }
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.linear(x, weight: parameter("weight"), bias: hasBias ? parameter("bias") : nil)
    }

    public override var summary: String { "Linear(in_features=\(inFeatures), out_features=\(outFeatures), bias=\(hasBias ? "True" : "False"))" }
}
