import Tensors

/// 2-D convolution with weight [out, in/groups, kh, kw] and bias [out] (PyTorch's `nn.Conv2d`).
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, kernel: Size2, stride: Size2, padding: Size2, dilation: Size2, groups: Int
    private let hasBias: Bool

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Size2, stride: Size2 = 1, padding: Size2 = 0,
                dilation: Size2 = 1, groups: Int = 1, bias: Bool = true, rng: inout RandomGenerator) {
        (self.inChannels, self.outChannels, self.kernel, self.stride) = (inChannels, outChannels, kernel, stride)
        (self.padding, self.dilation, self.groups, self.hasBias) = (padding, dilation, groups, bias)
        super.init()
        let fanIn = inChannels / Swift.max(groups, 1) * kernel.height * kernel.width
        registerParameter("weight", Initialization.pytorchDefault([outChannels, inChannels / Swift.max(groups, 1), kernel.height, kernel.width], fanIn: fanIn, using: &rng))
        if bias { registerParameter("bias", Initialization.pytorchDefault([outChannels], fanIn: fanIn, using: &rng)) }
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight: parameter("weight"), bias: hasBias ? parameter("bias") : nil,
                      stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// This convolution followed by a 2×2, stride-2 max pool, fused: the same values and
    /// gradients without materialising the convolution's output (`Tensor.conv2dMaxPool2x2`).
    public func maxPool2x2(_ x: Tensor) -> Tensor {
        Tensor.conv2dMaxPool2x2(x, weight: parameter("weight"), bias: hasBias ? parameter("bias") : nil,
                                stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public override var summary: String {
        "Conv2d(\(inChannels), \(outChannels), kernel_size=\(kernel), stride=\(stride), padding=\(padding)"
            + (dilation == 1 ? "" : ", dilation=\(dilation)") + (groups == 1 ? "" : ", groups=\(groups)") + (hasBias ? "" : ", bias=False") + ")"
    }
}
