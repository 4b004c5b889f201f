import Tensors

/// Max pooling over windows (PyTorch's `nn.MaxPool2d`; the stride defaults to the kernel).
public final class MaxPool2d: Module {
    public let kernel: Size2, stride: Size2, padding: Size2, dilation: Size2

    public init(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0, dilation: Size2 = 1) {
        (self.kernel, self.stride, self.padding, self.dilation) = (kernel, stride ?? kernel, padding, dilation)
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        x.maxPool2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    }

    public override var summary: String { "MaxPool2d(kernel_size=\(kernel), stride=\(stride), padding=\(padding))" }

    /// Whether this pool tiles its input with 2×2 windows (kernel 2, stride 2, no padding or dilation).
    var tiles2x2: Bool { kernel == 2 && stride == 2 && padding == 0 && dilation == 1 }
}

/// Average pooling over windows (PyTorch's `nn.AvgPool2d`).
public final class AvgPool2d: Module {
    public let kernel: Size2, stride: Size2, padding: Size2, countIncludePad: Bool

    public init(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0, countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.countIncludePad) = (kernel, stride ?? kernel, padding, countIncludePad)
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        x.avgPool2d(kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }

    public override var summary: String { "AvgPool2d(kernel_size=\(kernel), stride=\(stride), padding=\(padding))" }
}

/// Average pooling to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: Size2

    public init(_ outputSize: Size2) { self.outputSize = outputSize }

    public override func callAsFunction(_ x: Tensor) -> Tensor { x.adaptiveAvgPool2d(outputSize: outputSize) }

    public override var summary: String { "AdaptiveAvgPool2d(output_size=\(outputSize))" }
}
