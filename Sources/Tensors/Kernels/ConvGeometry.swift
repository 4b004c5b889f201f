/// A 2-D sliding window over an H x W plane: kernel size, stride, zero padding and dilation per axis.
/// Output cell (oh, ow) reads input rows oh*strideH - padH + i*dilationH and columns ow*strideW - padW + j*dilationW.
struct Window2D: Sendable, Equatable {
    var kernelH: Int
    var kernelW: Int
    var strideH: Int = 1
    var strideW: Int = 1
    var padH: Int = 0
    var padW: Int = 0
    var dilationH: Int = 1
    var dilationW: Int = 1

    /// out = floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1 per axis (PyTorch, ceil_mode off);
    /// a window that does not fit even once gives 0.
    func outputSize(height: Int, width: Int) -> (h: Int, w: Int) {
        (
            Self.outputExtent(height, kernel: kernelH, stride: strideH, pad: padH, dilation: dilationH),
            Self.outputExtent(width, kernel: kernelW, stride: strideW, pad: padW, dilation: dilationW)
        )
    }

    /// floor((extent + 2*pad - dilation*(kernel-1) - 1) / stride) + 1, clamped at 0.
    private static func outputExtent(_ extent: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> Int {
        precondition(kernel >= 1 && stride >= 1 && dilation >= 1 && pad >= 0, "invalid window \(kernel)/\(stride)/\(pad)/\(dilation)")
        let span = extent + 2 * pad - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }
}

/// The k in 0..<count for which start + k*step lies inside 0..<extent (step >= 1); always a contiguous range.
func inBoundsRange(start: Int, step: Int, extent: Int, count: Int) -> Range<Int> {
    let first = start >= 0 ? 0 : (step - 1 - start) / step
    let end = start >= extent ? 0 : (extent - 1 - start) / step + 1
    let lower = min(first, count)
    return lower..<min(max(end, lower), count)
}
