import Testing
@testable import Tensors

// MARK: - Test support

/// SplitMix64: a small deterministic PRNG so every run sees the same data.
private struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1) on a 2^-23 grid.
    mutating func nextFloat() -> Float {
        Float(next() >> 40) / Float(1 << 23) - 1
    }

    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in nextFloat() }
    }

    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Element-wise equality where NaN equals NaN.
private func identical(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}

/// <a, b> summed in Double.
private func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// |lhs - rhs| <= 1e-4 * max(|lhs|, |rhs|), with a tiny floor so two exact zeros pass.
private func closeRelative(_ lhs: Double, _ rhs: Double) -> Bool {
    abs(lhs - rhs) <= 1e-4 * max(abs(lhs), abs(rhs), 1e-12)
}

private struct ConvCase: CustomStringConvertible {
    var channels: Int
    var height: Int
    var width: Int
    var window: Window2D

    var description: String {
        let w = window
        return "C\(channels) \(height)x\(width) k\(w.kernelH)x\(w.kernelW) s\(w.strideH)x\(w.strideW) "
            + "p\(w.padH)x\(w.padW) d\(w.dilationH)x\(w.dilationW)"
    }
}

private func window(_ kh: Int, _ kw: Int, stride: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Window2D {
    Window2D(
        kernelH: kh, kernelW: kw, strideH: stride.0, strideW: stride.1,
        padH: pad.0, padW: pad.1, dilationH: dilation.0, dilationW: dilation.1
    )
}

/// Hand-picked convolution geometries plus a random sweep; every case has a non-empty output.
private func convCases() -> [ConvCase] {
    var cases = [
        ConvCase(channels: 1, height: 5, width: 5, window: window(3, 3)),
        ConvCase(channels: 3, height: 7, width: 6, window: window(3, 3, pad: (1, 1))),
        ConvCase(channels: 2, height: 9, width: 11, window: window(3, 2, stride: (2, 2), pad: (1, 0))),
        ConvCase(channels: 2, height: 8, width: 7, window: window(3, 3, pad: (2, 2), dilation: (2, 2))),
        ConvCase(channels: 3, height: 10, width: 9, window: window(2, 3, stride: (2, 1), pad: (2, 1), dilation: (2, 1))),
        ConvCase(channels: 1, height: 4, width: 13, window: window(1, 5, stride: (1, 2), pad: (0, 2), dilation: (1, 2))),
        ConvCase(channels: 2, height: 6, width: 5, window: window(5, 5, stride: (2, 2), pad: (2, 2))),
        ConvCase(channels: 1, height: 3, width: 3, window: window(3, 3)),
        ConvCase(channels: 2, height: 2, width: 2, window: window(3, 3, pad: (2, 2), dilation: (2, 2))),
        ConvCase(channels: 1, height: 3, width: 4, window: window(5, 5, pad: (2, 2))),
        ConvCase(channels: 4, height: 1, width: 7, window: window(1, 3, stride: (1, 3), pad: (0, 1))),
    ]
    var rng = SplitMix64(state: 0xC0FFEE)
    while cases.count < 60 {
        let w = window(
            rng.int(in: 1...5), rng.int(in: 1...5),
            stride: (rng.int(in: 1...3), rng.int(in: 1...3)),
            pad: (rng.int(in: 0...2), rng.int(in: 0...2)),
            dilation: (rng.int(in: 1...2), rng.int(in: 1...2))
        )
        let c = ConvCase(channels: rng.int(in: 1...3), height: rng.int(in: 1...12), width: rng.int(in: 1...12), window: w)
        let out = w.outputSize(height: c.height, width: c.width)
        if out.h > 0 && out.w > 0 { cases.append(c) }
    }
    return cases
}

/// Pooling geometries: pad <= kernel/2 as PyTorch requires; `dilated` allows dilation 2.
private func poolCases(dilated: Bool, seed: UInt64) -> [ConvCase] {
    var cases = [
        ConvCase(channels: 3, height: 6, width: 8, window: window(2, 2, stride: (2, 2))),
        ConvCase(channels: 2, height: 7, width: 5, window: window(2, 2, stride: (2, 2))),
        ConvCase(channels: 2, height: 7, width: 9, window: window(3, 3, stride: (2, 2), pad: (1, 1))),
        ConvCase(channels: 1, height: 5, width: 6, window: window(3, 2, stride: (1, 1), pad: (1, 1))),
        ConvCase(channels: 2, height: 9, width: 8, window: window(4, 5, stride: (2, 3), pad: (2, 2))),
        ConvCase(channels: 1, height: 5, width: 5, window: window(3, 3, stride: (2, 2), pad: (1, 1))),
        ConvCase(channels: 3, height: 1, width: 9, window: window(1, 3, stride: (1, 2), pad: (0, 1))),
    ]
    if dilated {
        cases.append(ConvCase(channels: 2, height: 9, width: 10, window: window(3, 3, stride: (1, 2), pad: (1, 1), dilation: (2, 2))))
        cases.append(ConvCase(channels: 1, height: 8, width: 7, window: window(2, 3, stride: (2, 1), pad: (1, 1), dilation: (2, 1))))
    }
    var rng = SplitMix64(state: seed)
    while cases.count < 50 {
        let kh = rng.int(in: 1...5), kw = rng.int(in: 1...5)
        let w = window(
            kh, kw,
            stride: (rng.int(in: 1...3), rng.int(in: 1...3)),
            pad: (rng.int(in: 0...kh / 2), rng.int(in: 0...kw / 2)),
            dilation: dilated ? (rng.int(in: 1...2), rng.int(in: 1...2)) : (1, 1)
        )
        let c = ConvCase(channels: rng.int(in: 1...3), height: rng.int(in: 1...11), width: rng.int(in: 1...11), window: w)
        let out = w.outputSize(height: c.height, width: c.width)
        if out.h > 0 && out.w > 0 { cases.append(c) }
    }
    return cases
}

// MARK: - Naive references (plain loops over arrays, straight from the definitions)

private func naiveIm2col(_ x: [Float], _ c: ConvCase) -> [Float] {
    let w = c.window
    let (outH, outW) = w.outputSize(height: c.height, width: c.width)
    var cols = [Float](repeating: .nan, count: c.channels * w.kernelH * w.kernelW * outH * outW)
    for ch in 0..<c.channels {
        for i in 0..<w.kernelH {
            for j in 0..<w.kernelW {
                let row = (ch * w.kernelH + i) * w.kernelW + j
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let ih = oh * w.strideH - w.padH + i * w.dilationH
                        let iw = ow * w.strideW - w.padW + j * w.dilationW
                        let inside = ih >= 0 && ih < c.height && iw >= 0 && iw < c.width
                        cols[row * outH * outW + oh * outW + ow] = inside ? x[(ch * c.height + ih) * c.width + iw] : 0
                    }
                }
            }
        }
    }
    return cols
}

private func naiveCol2im(_ cols: [Float], _ c: ConvCase) -> [Float] {
    let w = c.window
    let (outH, outW) = w.outputSize(height: c.height, width: c.width)
    var x = [Float](repeating: 0, count: c.channels * c.height * c.width)
    for ch in 0..<c.channels {
        for i in 0..<w.kernelH {
            for j in 0..<w.kernelW {
                let row = (ch * w.kernelH + i) * w.kernelW + j
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let ih = oh * w.strideH - w.padH + i * w.dilationH
                        let iw = ow * w.strideW - w.padW + j * w.dilationW
                        if ih >= 0 && ih < c.height && iw >= 0 && iw < c.width {
                            x[(ch * c.height + ih) * c.width + iw] += cols[row * outH * outW + oh * outW + ow]
                        }
                    }
                }
            }
        }
    }
    return x
}

private func naiveMaxPool(_ x: [Float], _ c: ConvCase) -> (values: [Float], indices: [Int32]) {
    let w = c.window
    let (outH, outW) = w.outputSize(height: c.height, width: c.width)
    var values = [Float]()
    var indices = [Int32]()
    for p in 0..<c.channels {
        for oh in 0..<outH {
            for ow in 0..<outW {
                var best = -Float.infinity
                var bestIndex = -1
                for i in 0..<w.kernelH {
                    for j in 0..<w.kernelW {
                        let ih = oh * w.strideH - w.padH + i * w.dilationH
                        let iw = ow * w.strideW - w.padW + j * w.dilationW
                        guard ih >= 0 && ih < c.height && iw >= 0 && iw < c.width else { continue }
                        let v = x[(p * c.height + ih) * c.width + iw]
                        if bestIndex < 0 { bestIndex = ih * c.width + iw }  // PyTorch starts at the first in-image tap
                        if v > best || v.isNaN {
                            best = v
                            bestIndex = ih * c.width + iw
                        }
                    }
                }
                values.append(best)
                indices.append(Int32(bestIndex))
            }
        }
    }
    return (values, indices)
}

private func naiveMaxPoolBackward(_ x: [Float], _ gradOut: [Float], _ c: ConvCase) -> [Float] {
    let indices = naiveMaxPool(x, c).indices
    let cells = indices.count / c.channels
    var grad = [Float](repeating: 0, count: x.count)
    for p in 0..<c.channels {
        for o in 0..<cells where indices[p * cells + o] >= 0 {
            grad[p * c.height * c.width + Int(indices[p * cells + o])] += gradOut[p * cells + o]
        }
    }
    return grad
}

/// For one output cell: the in-image taps (ih, iw) and PyTorch's avg-pool divisor.
private func naiveAvgWindow(_ c: ConvCase, oh: Int, ow: Int, countIncludePad: Bool) -> (taps: [(Int, Int)], divisor: Int) {
    let w = c.window
    var hStart = oh * w.strideH - w.padH
    var wStart = ow * w.strideW - w.padW
    var hEnd = min(hStart + w.kernelH, c.height + w.padH)
    var wEnd = min(wStart + w.kernelW, c.width + w.padW)
    let poolSize = (hEnd - hStart) * (wEnd - wStart)
    hStart = max(hStart, 0)
    wStart = max(wStart, 0)
    hEnd = min(hEnd, c.height)
    wEnd = min(wEnd, c.width)
    var taps = [(Int, Int)]()
    for ih in hStart..<hEnd {
        for iw in wStart..<wEnd { taps.append((ih, iw)) }
    }
    return (taps, countIncludePad ? poolSize : (hEnd - hStart) * (wEnd - wStart))
}

private func naiveAvgPool(_ x: [Float], _ c: ConvCase, countIncludePad: Bool) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var out = [Float]()
    for p in 0..<c.channels {
        for oh in 0..<outH {
            for ow in 0..<outW {
                let win = naiveAvgWindow(c, oh: oh, ow: ow, countIncludePad: countIncludePad)
                var sum: Float = 0
                for (ih, iw) in win.taps { sum += x[(p * c.height + ih) * c.width + iw] }
                out.append(sum / Float(win.divisor))
            }
        }
    }
    return out
}

private func naiveAvgPoolBackward(_ gradOut: [Float], _ c: ConvCase, countIncludePad: Bool) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var grad = [Float](repeating: 0, count: c.channels * c.height * c.width)
    for p in 0..<c.channels {
        for oh in 0..<outH {
            for ow in 0..<outW {
                let win = naiveAvgWindow(c, oh: oh, ow: ow, countIncludePad: countIncludePad)
                let share = gradOut[(p * outH + oh) * outW + ow] / Float(win.divisor)
                for (ih, iw) in win.taps { grad[(p * c.height + ih) * c.width + iw] += share }
            }
        }
    }
    return grad
}

/// Adaptive bin [floor(o*n/m), ceil((o+1)*n/m)) computed with floating-point floor/ceil, independent of the kernel's integer form.
private func naiveBin(_ o: Int, _ n: Int, _ m: Int) -> Range<Int> {
    Int((Double(o * n) / Double(m)).rounded(.down))..<Int((Double((o + 1) * n) / Double(m)).rounded(.up))
}

private func naiveAdaptiveAvgPool(_ x: [Float], planes: Int, h: Int, w: Int, outH: Int, outW: Int) -> [Float] {
    var out = [Float]()
    for p in 0..<planes {
        for oh in 0..<outH {
            for ow in 0..<outW {
                let rows = naiveBin(oh, h, outH), cols = naiveBin(ow, w, outW)
                var sum: Float = 0
                for ih in rows {
                    for iw in cols { sum += x[(p * h + ih) * w + iw] }
                }
                out.append(sum / Float(rows.count * cols.count))
            }
        }
    }
    return out
}

private func naiveAdaptiveAvgPoolBackward(_ gradOut: [Float], planes: Int, h: Int, w: Int, outH: Int, outW: Int) -> [Float] {
    var grad = [Float](repeating: 0, count: planes * h * w)
    for p in 0..<planes {
        for oh in 0..<outH {
            for ow in 0..<outW {
                let rows = naiveBin(oh, h, outH), cols = naiveBin(ow, w, outW)
                let share = gradOut[(p * outH + oh) * outW + ow] / Float(rows.count * cols.count)
                for ih in rows {
                    for iw in cols { grad[(p * h + ih) * w + iw] += share }
                }
            }
        }
    }
    return grad
}

// MARK: - Kernel wrappers (arrays in, arrays out)

private func runIm2col(_ x: [Float], _ c: ConvCase) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var cols = [Float](repeating: .nan, count: c.channels * c.window.kernelH * c.window.kernelW * outH * outW)
    x.withUnsafeBufferPointer { src in
        cols.withUnsafeMutableBufferPointer { dst in
            im2col(src.baseAddress!, channels: c.channels, height: c.height, width: c.width, window: c.window, into: dst.baseAddress!)
        }
    }
    return cols
}

private func runCol2im(_ cols: [Float], _ c: ConvCase, initial: Float = 0) -> [Float] {
    var x = [Float](repeating: initial, count: c.channels * c.height * c.width)
    cols.withUnsafeBufferPointer { src in
        x.withUnsafeMutableBufferPointer { dst in
            col2im(src.baseAddress!, channels: c.channels, height: c.height, width: c.width, window: c.window, accumulatingInto: dst.baseAddress!)
        }
    }
    return x
}

private enum MaxPoolPath { case general, tiles }

/// Values and chosen indices (h*W + w); the 2x2-tile kernel's tap codes are turned into indices.
private func runMaxPool(_ x: [Float], _ c: ConvCase, path: MaxPoolPath = .general) -> (values: [Float], indices: [Int32]) {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var values = [Float](repeating: .nan, count: c.channels * outH * outW)
    var indices = [Int32](repeating: -7, count: values.count)
    var taps = [UInt8](repeating: 9, count: values.count)
    x.withUnsafeBufferPointer { src in
        values.withUnsafeMutableBufferPointer { out in
            switch path {
            case .general:
                indices.withUnsafeMutableBufferPointer { idx in
                    maxPool2dForward(
                        src.baseAddress!, planes: c.channels, height: c.height, width: c.width,
                        window: c.window, output: out.baseAddress!, indices: idx.baseAddress!)
                }
            case .tiles:
                taps.withUnsafeMutableBufferPointer { t in
                    maxPool2x2Forward(src.baseAddress!, planes: c.channels, height: c.height, width: c.width,
                                      output: out.baseAddress!, taps: t.baseAddress!)
                }
                for (o, tap) in taps.enumerated() {
                    let (oh, ow) = ((o / outW) % outH, o % outW)
                    indices[o] = Int32((2 * oh + Int(tap) / 2) * c.width + 2 * ow + Int(tap) % 2)
                }
            }
        }
    }
    return (values, indices)
}

/// The tile kernel's backward pass into a buffer filled with NaN: it must write every element.
private func runMaxPoolTilesBackward(_ x: [Float], _ gradOut: [Float], _ c: ConvCase) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var taps = [UInt8](repeating: 0, count: c.channels * outH * outW)
    var values = [Float](repeating: 0, count: taps.count)
    var grad = [Float](repeating: .nan, count: x.count)
    x.withUnsafeBufferPointer { src in
        maxPool2x2Forward(src.baseAddress!, planes: c.channels, height: c.height, width: c.width,
                          output: &values, taps: &taps)
    }
    gradOut.withUnsafeBufferPointer { g in
        maxPool2x2Backward(gradOutput: g.baseAddress!, taps: taps, planes: c.channels, height: c.height, width: c.width, into: &grad)
    }
    return grad
}

private func runMaxPoolBackward(_ gradOut: [Float], _ indices: [Int32], _ c: ConvCase, initial: Float = 0) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var grad = [Float](repeating: initial, count: c.channels * c.height * c.width)
    gradOut.withUnsafeBufferPointer { g in
        indices.withUnsafeBufferPointer { idx in
            grad.withUnsafeMutableBufferPointer { dst in
                maxPool2dBackward(
                    gradOutput: g.baseAddress!, indices: idx.baseAddress!, planes: c.channels,
                    height: c.height, width: c.width, outHeight: outH, outWidth: outW,
                    accumulatingInto: dst.baseAddress!)
            }
        }
    }
    return grad
}

private func runAvgPool(_ x: [Float], _ c: ConvCase, countIncludePad: Bool) -> [Float] {
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    var out = [Float](repeating: .nan, count: c.channels * outH * outW)
    x.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            avgPool2dForward(
                src.baseAddress!, planes: c.channels, height: c.height, width: c.width,
                window: c.window, countIncludePad: countIncludePad, output: dst.baseAddress!)
        }
    }
    return out
}

private func runAvgPoolBackward(_ gradOut: [Float], _ c: ConvCase, countIncludePad: Bool, initial: Float = 0) -> [Float] {
    var grad = [Float](repeating: initial, count: c.channels * c.height * c.width)
    gradOut.withUnsafeBufferPointer { g in
        grad.withUnsafeMutableBufferPointer { dst in
            avgPool2dBackward(
                gradOutput: g.baseAddress!, planes: c.channels, height: c.height, width: c.width,
                window: c.window, countIncludePad: countIncludePad, accumulatingInto: dst.baseAddress!)
        }
    }
    return grad
}

private func runAdaptive(_ x: [Float], planes: Int, h: Int, w: Int, outH: Int, outW: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: planes * outH * outW)
    x.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            adaptiveAvgPool2dForward(
                src.baseAddress!, planes: planes, height: h, width: w,
                outHeight: outH, outWidth: outW, output: dst.baseAddress!)
        }
    }
    return out
}

private func runAdaptiveBackward(_ gradOut: [Float], planes: Int, h: Int, w: Int, outH: Int, outW: Int, initial: Float = 0) -> [Float] {
    var grad = [Float](repeating: initial, count: planes * h * w)
    gradOut.withUnsafeBufferPointer { g in
        grad.withUnsafeMutableBufferPointer { dst in
            adaptiveAvgPool2dBackward(
                gradOutput: g.baseAddress!, planes: planes, height: h, width: w,
                outHeight: outH, outWidth: outW, accumulatingInto: dst.baseAddress!)
        }
    }
    return grad
}

// MARK: - Geometry

@Test func outputSizeFollowsPyTorchFormula() {
    #expect(window(3, 3).outputSize(height: 5, width: 7) == (3, 5))
    #expect(window(3, 3, stride: (2, 2), pad: (1, 1)).outputSize(height: 7, width: 8) == (4, 4))
    #expect(window(3, 2, stride: (2, 3), pad: (1, 0), dilation: (2, 1)).outputSize(height: 7, width: 8) == (3, 3))
    #expect(window(2, 2, stride: (2, 2)).outputSize(height: 7, width: 1) == (3, 0))
    #expect(window(5, 3, stride: (2, 2)).outputSize(height: 3, width: 3) == (0, 1))
    #expect(window(3, 3, dilation: (3, 3)).outputSize(height: 6, width: 7) == (0, 1))
}

@Test func inBoundsRangeMatchesBruteForce() {
    for start in -9...9 {
        for step in 1...4 {
            for extent in 0...7 {
                for count in 0...6 {
                    let expected = (0..<count).filter { start + $0 * step >= 0 && start + $0 * step < extent }
                    let got = inBoundsRange(start: start, step: step, extent: extent, count: count)
                    #expect(Array(got) == expected, "start \(start) step \(step) extent \(extent) count \(count)")
                }
            }
        }
    }
}

// MARK: - im2col / col2im

@Test func im2colMatchesNaive() {
    var rng = SplitMix64(state: 1)
    for c in convCases() {
        let x = rng.floats(c.channels * c.height * c.width)
        #expect(runIm2col(x, c) == naiveIm2col(x, c), "\(c)")
    }
}

@Test func col2imMatchesNaive() {
    var rng = SplitMix64(state: 2)
    for c in convCases() {
        let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
        let cols = rng.floats(c.channels * c.window.kernelH * c.window.kernelW * outH * outW)
        #expect(runCol2im(cols, c) == naiveCol2im(cols, c), "\(c)")
    }
}

@Test func col2imAccumulatesIntoExistingValues() {
    let c = ConvCase(channels: 2, height: 5, width: 4, window: window(3, 2, stride: (2, 1), pad: (1, 1)))
    var rng = SplitMix64(state: 3)
    let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
    // Small integers keep every sum exact, so the order of additions cannot matter.
    let cols = (0..<c.channels * 6 * outH * outW).map { _ in Float(rng.int(in: -5...5)) }
    let fresh = naiveCol2im(cols, c)
    #expect(runCol2im(cols, c, initial: 10) == fresh.map { 10 + $0 })
}

@Test func im2colAndCol2imAreAdjoint() {
    var rng = SplitMix64(state: 4)
    for c in convCases() {
        let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
        let x = rng.floats(c.channels * c.height * c.width)
        let y = rng.floats(c.channels * c.window.kernelH * c.window.kernelW * outH * outW)
        let lhs = dot(runIm2col(x, c), y)
        let rhs = dot(x, runCol2im(y, c))
        #expect(closeRelative(lhs, rhs), "\(c): \(lhs) vs \(rhs)")
    }
}

// MARK: - Max pooling

@Test func maxPoolMatchesNaive() {
    var rng = SplitMix64(state: 5)
    for c in poolCases(dilated: true, seed: 50) {
        let x = rng.floats(c.channels * c.height * c.width)
        let got = runMaxPool(x, c)
        let want = naiveMaxPool(x, c)
        #expect(got.values == want.values, "\(c)")
        #expect(got.indices == want.indices, "\(c)")
    }
}

/// The 2x2-tile kernels against the general ones, forward and backward: plane widths below
/// four (one lane at a time), multiples of four and others (an overlapping last quad), odd
/// extents (an unread last row or column).
@Test func maxPool2x2TilesMatchGeneralPath() {
    var rng = SplitMix64(state: 6)
    let shapes = [(2, 2), (4, 6), (7, 5), (9, 9), (1, 8), (3, 1), (10, 3), (2, 16), (4, 14), (6, 28), (5, 11), (8, 15), (3, 18)]
    for (h, w) in shapes {
        let c = ConvCase(channels: 3, height: h, width: w, window: window(2, 2, stride: (2, 2)))
        // Coarse values produce ties; a sprinkle of NaN and -infinity exercises the replacement rule.
        var x = (0..<c.channels * h * w).map { _ in Float(rng.int(in: -2...2)) }
        for k in x.indices {
            switch rng.int(in: 0...9) {
            case 0: x[k] = .nan
            case 1: x[k] = -.infinity
            default: break
            }
        }
        let tiles = runMaxPool(x, c, path: .tiles)
        let general = runMaxPool(x, c, path: .general)
        let naive = naiveMaxPool(x, c)
        #expect(identical(tiles.values, general.values), "\(h)x\(w)")
        #expect(tiles.indices == general.indices, "\(h)x\(w)")
        #expect(identical(general.values, naive.values), "\(h)x\(w)")
        #expect(general.indices == naive.indices, "\(h)x\(w)")
        let gradOut = rng.floats(tiles.values.count)
        #expect(runMaxPoolTilesBackward(x, gradOut, c) == runMaxPoolBackward(gradOut, general.indices, c), "\(h)x\(w)")
    }
}

/// All-equal planes (including all -infinity, which never beats the initial -infinity) must report
/// the first in-image tap of every window.
@Test func maxPoolTiesPickFirstElementOfWindow() {
    let cases = [
        ConvCase(channels: 2, height: 6, width: 8, window: window(2, 2, stride: (2, 2))),
        ConvCase(channels: 1, height: 7, width: 7, window: window(3, 3, stride: (2, 2), pad: (1, 1))),
        ConvCase(channels: 1, height: 8, width: 9, window: window(3, 2, stride: (1, 2), pad: (1, 1), dilation: (2, 2))),
    ]
    for c in cases {
        let w = c.window
        let (outH, outW) = w.outputSize(height: c.height, width: c.width)
        var expected = [Int32]()
        for _ in 0..<c.channels {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    // First in-image tap: smallest i (then j) whose coordinate is >= 0.
                    var ih = oh * w.strideH - w.padH
                    while ih < 0 { ih += w.dilationH }
                    var iw = ow * w.strideW - w.padW
                    while iw < 0 { iw += w.dilationW }
                    expected.append(Int32(ih * c.width + iw))
                }
            }
        }
        for fill in [Float(0.5), -.infinity] {
            let x = [Float](repeating: fill, count: c.channels * c.height * c.width)
            for path in c.window == window(2, 2, stride: (2, 2)) ? [MaxPoolPath.tiles, .general] : [.general] {
                let got = runMaxPool(x, c, path: path)
                #expect(got.indices == expected, "\(c) \(path) fill \(fill)")
                #expect(got.values.allSatisfy { $0 == fill }, "\(c) \(path) fill \(fill)")
            }
        }
    }
}

@Test func maxPoolPropagatesNaN() {
    let c = ConvCase(channels: 1, height: 4, width: 4, window: window(2, 2, stride: (2, 2)))
    var x = (0..<16).map { Float($0) }
    x[5] = .nan  // window (0, 0): taps 0, 1, 4, 5
    x[10] = .nan  // window (1, 1): taps 10, 11, 14, 15; the larger values after it must not win
    for path in [MaxPoolPath.tiles, .general] {
        let got = runMaxPool(x, c, path: path)
        #expect(got.values[0].isNaN && got.values[3].isNaN, "\(path)")
        #expect(got.values[1] == 7 && got.values[2] == 13, "\(path)")
        #expect(got.indices == [5, 7, 13, 10], "\(path)")
    }
    let padded = ConvCase(channels: 1, height: 4, width: 4, window: window(3, 3, pad: (1, 1)))
    let got = runMaxPool(x, padded)
    let want = naiveMaxPool(x, padded)
    #expect(identical(got.values, want.values))
    #expect(got.indices == want.indices)
    #expect(got.values[0].isNaN && got.values[15].isNaN && got.values[3] == 7)
}

@Test func maxPoolWindowWithoutInImageTaps() {
    // Taps of the single window sit at rows/columns -1 and 2 of a 2x2 plane: nothing to pool.
    let c = ConvCase(channels: 2, height: 2, width: 2, window: window(2, 2, pad: (1, 1), dilation: (3, 3)))
    #expect(c.window.outputSize(height: 2, width: 2) == (1, 1))
    let got = runMaxPool([1, 2, 3, 4, 5, 6, 7, 8], c)
    #expect(got.values == [-.infinity, -.infinity])
    #expect(got.indices == [-1, -1])
    #expect(runMaxPoolBackward([3, 4], got.indices, c) == [Float](repeating: 0, count: 8))
}

@Test func maxPoolBackwardMatchesNaive() {
    var rng = SplitMix64(state: 7)
    for c in poolCases(dilated: true, seed: 70) {
        let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
        let x = rng.floats(c.channels * c.height * c.width)
        let gradOut = rng.floats(c.channels * outH * outW)
        let indices = runMaxPool(x, c).indices
        #expect(runMaxPoolBackward(gradOut, indices, c) == naiveMaxPoolBackward(x, gradOut, c), "\(c)")
    }
}

@Test func maxPoolBackwardAccumulates() {
    let c = ConvCase(channels: 1, height: 3, width: 3, window: window(2, 2))
    let x: [Float] = [0, 0, 0, 0, 9, 0, 0, 0, 0]  // every window picks the centre
    let indices = runMaxPool(x, c).indices
    #expect(indices == [4, 4, 4, 4])
    #expect(runMaxPoolBackward([1, 2, 3, 4], indices, c, initial: 1) == [1, 1, 1, 1, 11, 1, 1, 1, 1])
}

// MARK: - Average pooling

@Test func avgPoolMatchesNaive() {
    var rng = SplitMix64(state: 8)
    for c in poolCases(dilated: false, seed: 80) {
        let x = rng.floats(c.channels * c.height * c.width)
        for include in [true, false] {
            #expect(runAvgPool(x, c, countIncludePad: include) == naiveAvgPool(x, c, countIncludePad: include), "\(c) include \(include)")
        }
    }
}

@Test func avgPoolDivisorsByHand() {
    let ones = [Float](repeating: 1, count: 9)
    let c = ConvCase(channels: 1, height: 3, width: 3, window: window(3, 3, pad: (1, 1)))
    #expect(runAvgPool(ones, c, countIncludePad: false) == [Float](repeating: 1, count: 9))
    #expect(runAvgPool(ones, c, countIncludePad: true) == [4, 6, 4, 6, 9, 6, 4, 6, 4].map { Float($0) / 9 })

    // 5 rows, k3 s2 p1: the last window starts at row 3 and ends at min(3 + 3, 5 + 1) = 6, so it counts 3 rows
    // with padding but only rows 3 and 4 without; the first window covers rows -1...1.
    let tall = ConvCase(channels: 1, height: 5, width: 1, window: window(3, 1, stride: (2, 1), pad: (1, 0)))
    let column: [Float] = [1, 2, 3, 4, 5]
    #expect(runAvgPool(column, tall, countIncludePad: true) == [Float(3) / 3, Float(9) / 3, Float(9) / 3])
    #expect(runAvgPool(column, tall, countIncludePad: false) == [Float(3) / 2, Float(9) / 3, Float(9) / 2])
}

@Test func avgPoolBackwardMatchesNaive() {
    var rng = SplitMix64(state: 9)
    for c in poolCases(dilated: false, seed: 90) {
        let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
        let gradOut = rng.floats(c.channels * outH * outW)
        for include in [true, false] {
            let got = runAvgPoolBackward(gradOut, c, countIncludePad: include)
            #expect(got == naiveAvgPoolBackward(gradOut, c, countIncludePad: include), "\(c) include \(include)")
        }
    }
}

@Test func avgPoolBackwardIsAdjointAndAccumulates() {
    var rng = SplitMix64(state: 10)
    for c in poolCases(dilated: false, seed: 100) {
        let (outH, outW) = c.window.outputSize(height: c.height, width: c.width)
        let x = rng.floats(c.channels * c.height * c.width)
        let y = rng.floats(c.channels * outH * outW)
        for include in [true, false] {
            let lhs = dot(runAvgPool(x, c, countIncludePad: include), y)
            let rhs = dot(x, runAvgPoolBackward(y, c, countIncludePad: include))
            #expect(closeRelative(lhs, rhs), "\(c) include \(include): \(lhs) vs \(rhs)")
        }
    }
    let c = ConvCase(channels: 1, height: 2, width: 2, window: window(2, 2))
    #expect(runAvgPoolBackward([8], c, countIncludePad: true, initial: 1) == [3, 3, 3, 3])
}

// MARK: - Adaptive average pooling

private let adaptiveShapes: [(h: Int, w: Int, outH: Int, outW: Int)] = [
    (7, 5, 3, 2), (4, 4, 4, 4), (5, 7, 2, 3), (6, 9, 4, 5), (3, 5, 5, 7), (8, 8, 1, 1), (1, 6, 1, 4), (13, 11, 5, 3),
]

@Test func adaptiveBinsByHand() {
    // 7 -> 3: [0, 3), [2, 5), [4, 7); 5 -> 2: [0, 3), [2, 5).
    let rows = (0..<7).map { Float($0) }
    #expect(runAdaptive(rows, planes: 1, h: 7, w: 1, outH: 3, outW: 1) == [1, 3, 5])
    #expect(runAdaptive([0, 1, 2, 3, 4], planes: 1, h: 1, w: 5, outH: 1, outW: 2) == [1, 3])
}

@Test func adaptiveAvgPoolMatchesNaive() {
    var rng = SplitMix64(state: 11)
    for s in adaptiveShapes {
        let planes = 3
        let x = rng.floats(planes * s.h * s.w)
        let got = runAdaptive(x, planes: planes, h: s.h, w: s.w, outH: s.outH, outW: s.outW)
        #expect(got == naiveAdaptiveAvgPool(x, planes: planes, h: s.h, w: s.w, outH: s.outH, outW: s.outW), "\(s)")
    }
    let identity = rng.floats(2 * 4 * 4)
    #expect(runAdaptive(identity, planes: 2, h: 4, w: 4, outH: 4, outW: 4) == identity)
}

@Test func adaptiveAvgPoolBackwardMatchesNaive() {
    var rng = SplitMix64(state: 12)
    for s in adaptiveShapes {
        let planes = 2
        let gradOut = rng.floats(planes * s.outH * s.outW)
        let got = runAdaptiveBackward(gradOut, planes: planes, h: s.h, w: s.w, outH: s.outH, outW: s.outW)
        #expect(got == naiveAdaptiveAvgPoolBackward(gradOut, planes: planes, h: s.h, w: s.w, outH: s.outH, outW: s.outW), "\(s)")

        let x = rng.floats(planes * s.h * s.w)
        let lhs = dot(runAdaptive(x, planes: planes, h: s.h, w: s.w, outH: s.outH, outW: s.outW), gradOut)
        let rhs = dot(x, got)
        #expect(closeRelative(lhs, rhs), "\(s): \(lhs) vs \(rhs)")
    }
    #expect(runAdaptiveBackward([6], planes: 1, h: 1, w: 3, outH: 1, outW: 1, initial: 1) == [3, 3, 3])
}
