/// Max pooling over 2×2 tiles (kernel 2, stride 2, no padding, dilation 1), the CNN's pool.
///
/// The chosen tap of each tile is kept as a code, 0 top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right (one byte instead of a four-byte index). Both directions run four outputs at
/// a time with selects instead of branches: on real activations the comparisons are close to
/// coin flips, and a mispredicted branch per tap cost more than the rest of the pool. The
/// results equal `maxPool2dForward`'s: taps in scan order replace the running maximum when
/// `value > max || value.isNaN`. A row shorter than four outputs runs the same rule one lane at a time.

/// output[p, oh, ow] = max of input[p, 2oh..2oh+1, 2ow..2ow+1] and taps[p, oh, ow] = the chosen tap's code.
/// A last odd row or column lies in no tile and is not read.
func maxPool2x2Forward(
    _ input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
    output: UnsafeMutablePointer<Float>, taps: UnsafeMutablePointer<UInt8>
) {
    let outH = height / 2, outW = width / 2
    for plane in 0..<planes {
        for oh in 0..<outH {
            let top = input + (plane * height + 2 * oh) * width, bottom = top + width
            let row = (plane * outH + oh) * outW
            forEachQuad(outW) { ow in
                maxPool2x2Quad(top + 2 * ow, bottom + 2 * ow, output + row + ow, taps + row + ow)
            } single: { ow in
                var best = top[2 * ow], code: UInt8 = 0
                choose(&best, &code, top[2 * ow + 1], 1)
                choose(&best, &code, bottom[2 * ow], 2)
                choose(&best, &code, bottom[2 * ow + 1], 3)
                output[row + ow] = best
                taps[row + ow] = code
            }
        }
    }
}

/// gradInput[p, 2oh + t/2, 2ow + t%2] = gradOutput[p, oh, ow] for the chosen tap t, 0 for the
/// tile's other taps and for an odd last row or column: every input element is written once,
/// so the gradient needs no zero fill beforehand.
func maxPool2x2Backward(
    gradOutput: UnsafePointer<Float>, taps: UnsafePointer<UInt8>,
    planes: Int, height: Int, width: Int, into gradInput: UnsafeMutablePointer<Float>
) {
    let outH = height / 2, outW = width / 2
    for plane in 0..<planes {
        let dst = gradInput + plane * height * width
        for oh in 0..<outH {
            let top = dst + 2 * oh * width, bottom = top + width
            let row = (plane * outH + oh) * outW
            forEachQuad(outW) { ow in
                maxPool2x2QuadBackward(gradOutput + row + ow, taps + row + ow, top + 2 * ow, bottom + 2 * ow)
            } single: { ow in
                let g = gradOutput[row + ow], code = taps[row + ow]
                top[2 * ow] = code == 0 ? g : 0
                top[2 * ow + 1] = code == 1 ? g : 0
                bottom[2 * ow] = code == 2 ? g : 0
                bottom[2 * ow + 1] = code == 3 ? g : 0
            }
            if width % 2 == 1 { top[width - 1] = 0; bottom[width - 1] = 0 }
        }
        if height % 2 == 1 { (dst + (height - 1) * width).update(repeating: 0, count: width) }
    }
}

/// Calls `quad(ow)` for ow = 0, 4, 8, ... and a last quad ending at `count` (it may overlap the
/// one before; both kernels write the same values twice there), or `single(ow)` for each
/// column when a row has fewer than four.
@inline(__always)
private func forEachQuad(_ count: Int, _ quad: (Int) -> Void, single: (Int) -> Void) {
    guard count >= 4 else {
        for ow in 0..<count { single(ow) }
        return
    }
    var ow = 0
    while ow + 4 <= count { quad(ow); ow += 4 }
    if ow < count { quad(count - 4) }
}

/// Four tiles: two rows of eight floats each.
@inline(__always)
private func maxPool2x2Quad(
    _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<Float>, _ taps: UnsafeMutablePointer<UInt8>
) {
    let upper = UnsafeRawPointer(top).loadUnaligned(as: SIMD8<Float>.self)
    let lower = UnsafeRawPointer(bottom).loadUnaligned(as: SIMD8<Float>.self)
    var best = upper.evenHalf
    var code = SIMD4<Int32>()
    choose(&best, &code, upper.oddHalf, 1)
    choose(&best, &code, lower.evenHalf, 2)
    choose(&best, &code, lower.oddHalf, 3)
    UnsafeMutableRawPointer(output).storeBytes(of: best, as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(taps).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: code), as: SIMD4<UInt8>.self)
}

/// The scan rule, one tap: `value` replaces the running maximum if larger or NaN.
@inline(__always)
private func choose(_ best: inout Float, _ code: inout UInt8, _ value: Float, _ tap: UInt8) {
    let replace = value > best || value.isNaN
    best = replace ? value : best
    code = replace ? tap : code
}

/// The scan rule for four tiles at once.
@inline(__always)
private func choose(_ best: inout SIMD4<Float>, _ code: inout SIMD4<Int32>, _ value: SIMD4<Float>, _ tap: Int32) {
    let replace = (value .> best) .| (value .!= value)
    best.replace(with: value, where: replace)
    code.replace(with: tap, where: replace)
}

/// Four tiles' gradients: the chosen tap gets the output gradient, the other three get 0.
@inline(__always)
private func maxPool2x2QuadBackward(
    _ gradOutput: UnsafePointer<Float>, _ taps: UnsafePointer<UInt8>,
    _ top: UnsafeMutablePointer<Float>, _ bottom: UnsafeMutablePointer<Float>
) {
    let g = UnsafeRawPointer(gradOutput).loadUnaligned(as: SIMD4<Float>.self)
    // Compared as floats: integer lane compares are not vectorised on baseline x86-64.
    let code = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(taps).loadUnaligned(as: SIMD4<UInt8>.self)))
    let zero = SIMD4<Float>()
    let (a, b) = (zero.replacing(with: g, where: code .== 0), zero.replacing(with: g, where: code .== 1))
    let (c, d) = (zero.replacing(with: g, where: code .== 2), zero.replacing(with: g, where: code .== 3))
    let upper = SIMD8<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])
    let lower = SIMD8<Float>(c[0], d[0], c[1], d[1], c[2], d[2], c[3], d[3])
    UnsafeMutableRawPointer(top).storeBytes(of: upper, as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(bottom).storeBytes(of: lower, as: SIMD8<Float>.self)
}
