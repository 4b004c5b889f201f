/// 2-D convolution (cross-correlation, as PyTorch's `conv2d`) by im2col + GEMM; the loops are
/// `Conv2DPlan`'s. Cost per image: 2·Cout·(Cin/groups)·kh·kw·Ho·Wo flops forward, twice that backward.
extension Tensor {
    /// input [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout] → [N, Cout, Ho, Wo].
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Size2 = 1, padding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1
    ) -> Tensor {
        let conv = Conv2DPlan(input.shape, weight.shape, bias?.shape, stride, padding, dilation, groups)
        let out = conv.forward(input.storage, weight.storage, bias?.storage)
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return out.recording("conv2d", inputs) { g, needs in
            conv.gradients(conv.backward(g.storage, input.storage, weight.storage, needs: needs), needs: needs)
        }
    }

    /// `conv2d(...).maxPool2d(kernel: 2)`, the same values and gradients, without materialising the
    /// convolution's output: each image's output is pooled while it is still in cache, and in
    /// backward the pool's gradient is expanded one image at a time right where the convolution's
    /// backward reads it. Only the pooled tensor and one byte per pooled element are kept.
    public static func conv2dMaxPool2x2(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Size2 = 1, padding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1
    ) -> Tensor {
        let conv = Conv2DPlan(input.shape, weight.shape, bias?.shape, stride, padding, dilation, groups)
        guard conv.outHeight >= 2 && conv.outWidth >= 2 else {
            shapeError("conv2dMaxPool2x2", input.shape, weight.shape, "the convolution's output \(conv.outputShape) is smaller than the 2×2 pool")
        }
        let (out, taps) = conv.forwardPooled(input.storage, weight.storage, bias?.storage)
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return out.recording("conv2dMaxPool2x2", inputs) { g, needs in
            conv.gradients(conv.backwardPooled(g.storage, taps, input.storage, weight.storage, needs: needs), needs: needs)
        }
    }
}

