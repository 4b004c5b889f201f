/// Visits the im2col matrix of one image row by row: for each (c, i, j), the row's index, the
/// input plane's offset, the window offsets (i·dh − ph, j·dw − pw) and the ranges of output rows
/// and columns whose input position lies inside the image. Shared by im2col and its adjoint.
@inline(__always)
private func forEachColumnRow(
    channels: Int, height: Int, width: Int, window: Window2D,
    _ body: (_ row: Int, _ plane: Int, _ rowOffset: Int, _ colOffset: Int, _ ohValid: Range<Int>, _ owValid: Range<Int>) -> Void
) {
    let (outH, outW) = window.outputSize(height: height, width: width)
    var row = 0
    for c in 0..<channels {
        for i in 0..<window.kernelH {
            let rowOffset = i * window.dilationH - window.padH
            let ohValid = inBoundsRange(start: rowOffset, step: window.strideH, extent: height, count: outH)
            for j in 0..<window.kernelW {
                let colOffset = j * window.dilationW - window.padW
                let owValid = inBoundsRange(start: colOffset, step: window.strideW, extent: width, count: outW)
                body(row, c * height * width, rowOffset, colOffset, ohValid, owValid)
                row += 1
            }
        }
    }
}

/// cols[(c*kh + i)*kw + j, oh*outW + ow] = input[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], or 0 outside the image.
/// One image [C, H, W] becomes a [C*kh*kw, outH*outW] row-major matrix.
///
/// With stride 1 along rows and an output as wide as the input ("same" padding, the usual 3×3
/// case), a row of cols is the flattened plane shifted by one offset: one long copy per row, then
/// the columns that wrapped around are zeroed. Otherwise each output row is copied on its own.
func im2col(
    _ input: UnsafePointer<Float>,
    channels: Int, height: Int, width: Int,
    window: Window2D,
    into cols: UnsafeMutablePointer<Float>
) {
    let (outH, outW) = window.outputSize(height: height, width: width)
    let sh = window.strideH, sw = window.strideW
    let shifted = sh == 1 && sw == 1 && outW == width
    forEachColumnRow(channels: channels, height: height, width: width, window: window) { r, plane, rowOffset, colOffset, ohValid, owValid in
        let row = cols + r * outH * outW
        row.update(repeating: 0, count: ohValid.lowerBound * outW)
        (row + ohValid.upperBound * outW).update(repeating: 0, count: (outH - ohValid.upperBound) * outW)
        guard !ohValid.isEmpty else { return }
        guard !owValid.isEmpty else {
            (row + ohValid.lowerBound * outW).update(repeating: 0, count: ohValid.count * outW)
            return
        }
        if shifted {
            // row[p] = plane[p + shift] for p over the valid output rows, minus the wrapped ends.
            let first = ohValid.lowerBound * outW + owValid.lowerBound
            let last = (ohValid.upperBound - 1) * outW + owValid.upperBound
            (row + first).update(from: input + plane + first + rowOffset * width + colOffset, count: last - first)
            // Column by column (a strided loop; per-row fills of one or two floats would be libc calls).
            for ow in 0..<owValid.lowerBound {
                for oh in ohValid { row[oh * outW + ow] = 0 }
            }
            for ow in owValid.upperBound..<outW {
                for oh in ohValid { row[oh * outW + ow] = 0 }
            }
            return
        }
        for oh in ohValid {
            let dst = row + oh * outW
            let src = input + plane + (oh * sh + rowOffset) * width + owValid.lowerBound * sw + colOffset
            dst.update(repeating: 0, count: owValid.lowerBound)
            if sw == 1 {
                (dst + owValid.lowerBound).update(from: src, count: owValid.count)
            } else {
                let out = dst + owValid.lowerBound
                for k in 0..<owValid.count { out[k] = src[k * sw] }
            }
            (dst + owValid.upperBound).update(repeating: 0, count: outW - owValid.upperBound)
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
    forEachColumnRow(channels: channels, height: height, width: width, window: window) { r, plane, rowOffset, colOffset, ohValid, owValid in
        let valid = owValid.count
        for oh in ohValid {
            let src = cols + r * outH * outW + oh * outW + owValid.lowerBound
            let dst = input + plane + (oh * sh + rowOffset) * width + owValid.lowerBound * sw + colOffset
            if sw == 1 {
                for k in 0..<valid { dst[k] += src[k] }
            } else {
                for k in 0..<valid { dst[k * sw] += src[k] }
            }
        }
    }
}
