// MARK: - Max pooling

/// output[p, oh, ow] = max over the in-image window taps of input[p], indices = h*W + w of the chosen tap.
/// Taps are scanned row-major and replace the running max when `value > max || value.isNaN` (first max wins, NaN propagates).
/// A window with no tap inside the image (possible only with dilation) yields -infinity and index -1.
func maxPool2dForward(
    _ input: UnsafePointer<Float>,
    planes: Int, height: Int, width: Int,
    window: Window2D,
    output: UnsafeMutablePointer<Float>,
    indices: UnsafeMutablePointer<Int32>
) {
    precondition(2 * window.padH <= window.kernelH && 2 * window.padW <= window.kernelW, "pad must be at most half the kernel")
    precondition(height * width <= Int(Int32.max), "plane too large for Int32 indices")
    let (outH, outW) = window.outputSize(height: height, width: width)
    let sh = window.strideH, sw = window.strideW, dh = window.dilationH, dw = window.dilationW
    var src = input
    var dst = output
    var idx = indices
    for _ in 0..<planes {
        for oh in 0..<outH {
            let hStart = oh * sh - window.padH
            let taps = inBoundsRange(start: hStart, step: dh, extent: height, count: window.kernelH)
            for ow in 0..<outW {
                let wStart = ow * sw - window.padW
                let tapsW = inBoundsRange(start: wStart, step: dw, extent: width, count: window.kernelW)
                var best = -Float.infinity
                var bestIndex = -1
                if !taps.isEmpty && !tapsW.isEmpty {
                    bestIndex = (hStart + taps.lowerBound * dh) * width + wStart + tapsW.lowerBound * dw
                    for i in taps {
                        let rowIndex = (hStart + i * dh) * width + wStart
                        for j in tapsW {
                            let at = rowIndex + j * dw
                            let value = src[at]
                            if value > best || value.isNaN {
                                best = value
                                bestIndex = at
                            }
                        }
                    }
                }
                dst[ow] = best
                idx[ow] = Int32(truncatingIfNeeded: bestIndex)
            }
            dst += outW
            idx += outW
        }
        src += height * width
    }
}

/// gradInput[p, indices[p, o]] += gradOutput[p, o] for every output cell o; negative indices (empty windows) are skipped.
func maxPool2dBackward(
    gradOutput: UnsafePointer<Float>,
    indices: UnsafePointer<Int32>,
    planes: Int, height: Int, width: Int,
    outHeight: Int, outWidth: Int,
    accumulatingInto gradInput: UnsafeMutablePointer<Float>
) {
    let cells = outHeight * outWidth
    var grad = gradOutput
    var idx = indices
    var dst = gradInput
    for _ in 0..<planes {
        for o in 0..<cells {
            let at = Int(idx[o])
            if at >= 0 { dst[at] += grad[o] }
        }
        grad += cells
        idx += cells
        dst += height * width
    }
}

// MARK: - Average pooling

/// One axis of an average-pool window (PyTorch): start = o*stride - pad, end = min(start + kernel, extent + pad),
/// padded = end - start; `taps` is [start, end) clamped to [0, extent).
private func avgPoolSpan(_ o: Int, kernel: Int, stride: Int, pad: Int, extent: Int) -> (taps: Range<Int>, padded: Int) {
    let start = o * stride - pad
    let end = min(start + kernel, extent + pad)
    return (max(start, 0)..<min(end, extent), end - start)
}

/// output[p, oh, ow] = (sum of input[p] over the clamped window) / divisor, where divisor is the window size
/// counting padding (clipped at extent + pad) when `countIncludePad`, else the number of in-image taps.
func avgPool2dForward(
    _ input: UnsafePointer<Float>,
    planes: Int, height: Int, width: Int,
    window: Window2D,
    countIncludePad: Bool,
    output: UnsafeMutablePointer<Float>
) {
    precondition(window.dilationH == 1 && window.dilationW == 1, "avg pool requires dilation 1")
    precondition(2 * window.padH <= window.kernelH && 2 * window.padW <= window.kernelW, "pad must be at most half the kernel")
    let (outH, outW) = window.outputSize(height: height, width: width)
    var src = input
    var dst = output
    for _ in 0..<planes {
        for oh in 0..<outH {
            let rows = avgPoolSpan(oh, kernel: window.kernelH, stride: window.strideH, pad: window.padH, extent: height)
            for ow in 0..<outW {
                let cols = avgPoolSpan(ow, kernel: window.kernelW, stride: window.strideW, pad: window.padW, extent: width)
                var sum: Float = 0
                for ih in rows.taps {
                    let line = src + ih * width
                    for iw in cols.taps { sum += line[iw] }
                }
                let divisor = countIncludePad ? rows.padded * cols.padded : rows.taps.count * cols.taps.count
                dst[ow] = sum / Float(divisor)
            }
            dst += outW
        }
        src += height * width
    }
}

/// Adjoint of avgPool2dForward: every in-image tap of window (oh, ow) gets gradOutput[p, oh, ow] / divisor added.
func avgPool2dBackward(
    gradOutput: UnsafePointer<Float>,
    planes: Int, height: Int, width: Int,
    window: Window2D,
    countIncludePad: Bool,
    accumulatingInto gradInput: UnsafeMutablePointer<Float>
) {
    precondition(window.dilationH == 1 && window.dilationW == 1, "avg pool requires dilation 1")
    precondition(2 * window.padH <= window.kernelH && 2 * window.padW <= window.kernelW, "pad must be at most half the kernel")
    let (outH, outW) = window.outputSize(height: height, width: width)
    var grad = gradOutput
    var dst = gradInput
    for _ in 0..<planes {
        for oh in 0..<outH {
            let rows = avgPoolSpan(oh, kernel: window.kernelH, stride: window.strideH, pad: window.padH, extent: height)
            for ow in 0..<outW {
                let cols = avgPoolSpan(ow, kernel: window.kernelW, stride: window.strideW, pad: window.padW, extent: width)
                let divisor = countIncludePad ? rows.padded * cols.padded : rows.taps.count * cols.taps.count
                let share = grad[ow] / Float(divisor)
                for ih in rows.taps {
                    let line = dst + ih * width
                    for iw in cols.taps { line[iw] += share }
                }
            }
            grad += outW
        }
        dst += height * width
    }
}

// MARK: - Adaptive average pooling

/// PyTorch's adaptive bin for output index o: [floor(o*inSize/outSize), ceil((o+1)*inSize/outSize)).
private func adaptiveBin(_ o: Int, inSize: Int, outSize: Int) -> Range<Int> {
    (o * inSize / outSize)..<(((o + 1) * inSize + outSize - 1) / outSize)
}

/// output[p, oh, ow] = mean of input[p] over rows bin(oh, H, outH) x columns bin(ow, W, outW).
func adaptiveAvgPool2dForward(
    _ input: UnsafePointer<Float>,
    planes: Int, height: Int, width: Int,
    outHeight: Int, outWidth: Int,
    output: UnsafeMutablePointer<Float>
) {
    var src = input
    var dst = output
    for _ in 0..<planes {
        for oh in 0..<outHeight {
            let rows = adaptiveBin(oh, inSize: height, outSize: outHeight)
            for ow in 0..<outWidth {
                let cols = adaptiveBin(ow, inSize: width, outSize: outWidth)
                var sum: Float = 0
                for ih in rows {
                    let line = src + ih * width
                    for iw in cols { sum += line[iw] }
                }
                dst[ow] = sum / Float(rows.count * cols.count)
            }
            dst += outWidth
        }
        src += height * width
    }
}

/// Adjoint of adaptiveAvgPool2dForward: every element of bin (oh, ow) gets gradOutput[p, oh, ow] / binSize added.
func adaptiveAvgPool2dBackward(
    gradOutput: UnsafePointer<Float>,
    planes: Int, height: Int, width: Int,
    outHeight: Int, outWidth: Int,
    accumulatingInto gradInput: UnsafeMutablePointer<Float>
) {
    var grad = gradOutput
    var dst = gradInput
    for _ in 0..<planes {
        for oh in 0..<outHeight {
            let rows = adaptiveBin(oh, inSize: height, outSize: outHeight)
            for ow in 0..<outWidth {
                let cols = adaptiveBin(ow, inSize: width, outSize: outWidth)
                let share = grad[ow] / Float(rows.count * cols.count)
                for ih in rows {
                    let line = dst + ih * width
                    for iw in cols { line[iw] += share }
                }
            }
            grad += outWidth
        }
        dst += height * width
    }
}
