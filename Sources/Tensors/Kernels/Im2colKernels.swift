/// cols[(c*kh + i)*kw + j, oh*outW + ow] = input[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], or 0 outside the image.
/// One image [C, H, W] becomes a [C*kh*kw, outH*outW] row-major matrix.
func im2col(
    _ input: UnsafePointer<Float>,
    channels: Int, height: Int, width: Int,
    window: Window2D,
    into cols: UnsafeMutablePointer<Float>
) {
    let (outH, outW) = window.outputSize(height: height, width: width)
    let sh = window.strideH, sw = window.strideW
    var row = cols
    for c in 0..<channels {
        let plane = input + c * height * width
        for i in 0..<window.kernelH {
            let rowOffset = i * window.dilationH - window.padH
            let ohValid = inBoundsRange(start: rowOffset, step: sh, extent: height, count: outH)
            for j in 0..<window.kernelW {
                let colOffset = j * window.dilationW - window.padW
                let owValid = inBoundsRange(start: colOffset, step: sw, extent: width, count: outW)
                let valid = owValid.count
                row.update(repeating: 0, count: ohValid.lowerBound * outW)
                for oh in ohValid {
                    let dst = row + oh * outW
                    let src = plane + (oh * sh + rowOffset) * width + owValid.lowerBound * sw + colOffset
                    dst.update(repeating: 0, count: owValid.lowerBound)
                    if sw == 1 {
                        (dst + owValid.lowerBound).update(from: src, count: valid)
                    } else {
                        let out = dst + owValid.lowerBound
                        for k in 0..<valid { out[k] = src[k * sw] }
                    }
                    (dst + owValid.upperBound).update(repeating: 0, count: outW - owValid.upperBound)
                }
                (row + ohValid.upperBound * outW).update(repeating: 0, count: (outH - ohValid.upperBound) * outW)
                row += outH * outW
            }
        }
    }
}

/// Adjoint of im2col: input[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] += cols[(c*kh + i)*kw + j, oh*outW + ow];
/// entries that fall in the padding are dropped. The caller zeroes `input` when it wants a plain col2im.
func col2im(
    _ cols: UnsafePointer<Float>,
    channels: Int, height: Int, width: Int,
    window: Window2D,
    accumulatingInto input: UnsafeMutablePointer<Float>
) {
    let (outH, outW) = window.outputSize(height: height, width: width)
    let sh = window.strideH, sw = window.strideW
    var row = cols
    for c in 0..<channels {
        let plane = input + c * height * width
        for i in 0..<window.kernelH {
            let rowOffset = i * window.dilationH - window.padH
            let ohValid = inBoundsRange(start: rowOffset, step: sh, extent: height, count: outH)
            for j in 0..<window.kernelW {
                let colOffset = j * window.dilationW - window.padW
                let owValid = inBoundsRange(start: colOffset, step: sw, extent: width, count: outW)
                let valid = owValid.count
                for oh in ohValid {
                    let src = row + oh * outW + owValid.lowerBound
                    let dst = plane + (oh * sh + rowOffset) * width + owValid.lowerBound * sw + colOffset
                    if sw == 1 {
                        for k in 0..<valid { dst[k] += src[k] }
                    } else {
                        for k in 0..<valid { dst[k * sw] += src[k] }
                    }
                }
                row += outH * outW
            }
        }
    }
}
