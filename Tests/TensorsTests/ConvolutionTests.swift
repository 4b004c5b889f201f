import Testing
@testable import Tensors

@Suite("Convolution and pooling")
struct ConvolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int], weight: [Int], stride: Size2, padding: Size2, dilation: Size2, groups: Int
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding) d\(dilation) g\(groups)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 5, 5], weight: [4, 3, 3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1),
        Case(input: [1, 2, 6, 7], weight: [3, 2, 3, 2], stride: [2, 1], padding: [0, 1], dilation: [1, 1], groups: 1),
        Case(input: [2, 2, 7, 6], weight: [2, 2, 2, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 2], groups: 1),
        Case(input: [2, 4, 5, 4], weight: [6, 2, 3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 2),
        Case(input: [3, 4, 4, 4], weight: [4, 1, 3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 4),
        Case(input: [2, 3, 4, 4], weight: [5, 3, 1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1),
        // Stride 1: dx through the transposed convolution (unpadded, dilated, non-square kernels) ...
        Case(input: [2, 2, 6, 5], weight: [3, 2, 3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1),
        Case(input: [1, 3, 7, 8], weight: [2, 3, 3, 2], stride: [1, 1], padding: [2, 1], dilation: [2, 1], groups: 1),
        Case(input: [2, 4, 6, 6], weight: [4, 2, 2, 3], stride: [1, 1], padding: [1, 2], dilation: [1, 2], groups: 2),
        // ... and by col2im where the padding exceeds d·(k − 1).
        Case(input: [2, 2, 4, 5], weight: [3, 2, 1, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1),
    ]

    /// Direct definition: out[n,o,y,x] = b[o] + Σ_{c in group, i, j} w[o,c,i,j] · x[n, c, y·s − p + i·d, x·s − p + j·d].
    static func naiveConv(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ c: Case) -> Tensor {
        let (n, cin, h, wd) = (c.input[0], c.input[1], c.input[2], c.input[3])
        let (cout, cg, kh, kw) = (c.weight[0], c.weight[1], c.weight[2], c.weight[3])
        let oh = (h + 2 * c.padding.height - c.dilation.height * (kh - 1) - 1) / c.stride.height + 1
        let ow = (wd + 2 * c.padding.width - c.dilation.width * (kw - 1) - 1) / c.stride.width + 1
        var out = Tensor.zeros([n, cout, oh, ow])
        let outPerGroup = cout / c.groups
        for b0 in 0..<n { for o in 0..<cout { for y in 0..<oh { for xx in 0..<ow {
            var acc = Double(b[o])
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let yy = y * c.stride.height - c.padding.height + i * c.dilation.height, xj = xx * c.stride.width - c.padding.width + j * c.dilation.width
                guard yy >= 0 && yy < h && xj >= 0 && xj < wd else { continue }
                acc += Double(w[o, ci, i, j]) * Double(x[b0, (o / outPerGroup) * cg + ci, yy, xj])
            } } }
            out[b0, o, y, xx] = Float(acc)
        } } } }
        _ = cin
        return out
    }

    @Test("conv2d forward matches the definition", arguments: cases)
    func forward(c: Case) {
        let x = random(c.input, seed: 70), w = random(c.weight, seed: 71), b = random([c.weight[0]], seed: 72)
        let out = Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(maxRelativeError(out, Self.naiveConv(x, w, b, c)) < 1e-5)
    }

    @Test("conv2d gradients", arguments: cases)
    func gradients(c: Case) {
        let x = random(c.input, seed: 73), w = random(c.weight, seed: 74), b = random([c.weight[0]], seed: 75)
        checkGradients([x, w, b]) { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups) }
    }

    /// The fused conv + 2×2 max-pool gives exactly the values and gradients of the two ops
    /// (bit for bit: the same GEMMs in the same order).
    @Test("conv2dMaxPool2x2 equals conv2d then maxPool2d", arguments: cases)
    func fusedPool(c: Case) {
        let x = random(c.input, seed: 78).requiringGradient(), w = random(c.weight, seed: 79).requiringGradient()
        let b = random([c.weight[0]], seed: 80).requiringGradient()
        let plain = Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        guard plain.shape[2] >= 2 && plain.shape[3] >= 2 else { return }
        let pooled = plain.maxPool2d(kernel: 2)
        let fused = Tensor.conv2dMaxPool2x2(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(fused == pooled)
        let seed = random(pooled.shape, seed: 81)
        #expect(fused.gradients(wrt: [x, w, b], seed: seed) == pooled.gradients(wrt: [x, w, b], seed: seed))
        #expect(fused.gradients(wrt: [w], seed: seed) == pooled.gradients(wrt: [w], seed: seed))
        // No finite-difference check of its own: a step of 1e-2 moves conv outputs across pool ties.
        // Both ops it equals are checked above and in the pooling tests.
    }

    @Test func convWithoutBiasAndWeightOnlyGradient() {
        let x = random([4, 2, 5, 5], seed: 76), w = random([3, 2, 3, 3], seed: 77)
        checkGradients([x, w]) { Tensor.conv2d($0[0], weight: $0[1], padding: 1) }
        let leaf = w.requiringGradient()
        let onlyWeight = Tensor.conv2d(x, weight: leaf, padding: 1).sum().gradients(wrt: [leaf])[0]
        let xLeaf = x.requiringGradient()
        let both = Tensor.conv2d(xLeaf, weight: leaf, padding: 1).sum().gradients(wrt: [xLeaf, leaf])[1]
        #expect(onlyWeight == both)
    }

    @Test func maxPoolGradients() {
        let x = distinct([2, 3, 6, 7], seed: 78)
        checkGradients([x]) { $0[0].maxPool2d(kernel: 2) }
        checkGradients([x]) { $0[0].maxPool2d(kernel: [3, 2], stride: [2, 1], padding: [1, 1]) }
        checkGradients([x]) { $0[0].maxPool2d(kernel: [2, 2], stride: [1, 2], dilation: [2, 1]) }
    }

    @Test func maxPoolTiesSendTheGradientToTheFirstMaximum() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 1, 5, 2, 1, 1, 5, 5]).requiringGradient()
        let g = x.maxPool2d(kernel: 2).sum().gradients(wrt: [x])[0]
        #expect(g.scalars == [1, 0, 1, 0, 0, 0, 0, 0])
        let overlapping = Tensor.ones([1, 1, 3, 3]).requiringGradient()
        let g2 = overlapping.maxPool2d(kernel: 2, stride: 1).sum().gradients(wrt: [overlapping])[0]
        #expect(g2.scalars == [1, 1, 0, 1, 1, 0, 0, 0, 0])
    }

    @Test func avgPoolGradientsAndDivisors() {
        let x = random([2, 2, 5, 6], seed: 79)
        checkGradients([x]) { $0[0].avgPool2d(kernel: 2) }
        checkGradients([x]) { $0[0].avgPool2d(kernel: [3, 3], stride: [2, 2], padding: [1, 1]) }
        checkGradients([x]) { $0[0].avgPool2d(kernel: [3, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false) }
        let ones = Tensor.ones([1, 1, 2, 2])
        #expect(ones.avgPool2d(kernel: 2, stride: 1, padding: 1).scalars == [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25])
        #expect(ones.avgPool2d(kernel: 2, stride: 1, padding: 1, countIncludePad: false).scalars == [Float](repeating: 1, count: 9))
    }

    @Test func adaptiveAvgPool() {
        let x = random([2, 3, 7, 5], seed: 80)
        checkGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: [3, 2]) }
        checkGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: 1) }
        let global = x.adaptiveAvgPool2d(outputSize: 1)
        #expect(maxRelativeError(global, x.mean(alongAxes: [2, 3], keepingDimensions: true)) < 1e-6)
    }

    @Test func shapeErrorsNameTheOp() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.conv2d(Tensor.zeros([1, 3, 5, 5]), weight: Tensor.zeros([2, 4, 3, 3]))
        }.map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("conv2d") && text.contains("[1, 3, 5, 5]") && text.contains("[2, 4, 3, 3]"))
        }
    }
}

@Suite("Determinism")
struct DeterminismTests {
    func workload() -> [Tensor] {
        let x = random([8, 3, 12, 12], seed: 90), w = random([16, 3, 3, 3], seed: 91).requiringGradient()
        let w2 = random([32, 16 * 6 * 6], seed: 92).requiringGradient()
        let h = Tensor.conv2d(x, weight: w, padding: 1).relu().maxPool2d(kernel: 2)
        let y = Tensor.matmul(h.flattened(), w2, transposeB: true).logSoftmax(alongAxis: 1).mean()
        return [y.detached()] + y.gradients(wrt: [w, w2])
    }

    @Test func sameThreadCountGivesBitIdenticalResults() {
        for threads in [1, 2] {
            ComputeThreads.with(threads) { #expect(workload() == workload()) }
        }
    }

    @Test func engineLoopsDoNotDependOnTheThreadCount() {
        let x = random([300, 400], seed: 93), y = random([400], seed: 94)
        func run() -> [Tensor] {
            [x * y + 1, (x - y).exp().sum(alongAxes: [0]), x.softmax(alongAxis: 0), x.transposed(), x.reshaped([1, 300, 20, 20]).maxPool2d(kernel: 2)]
        }
        let one = ComputeThreads.with(1) { run() }
        #expect(ComputeThreads.with(2) { run() } == one)
    }
}

@Suite("Max-pool 2x2 dense backward")
struct MaxPoolDenseBackwardTests {
    /// The dense 2x2 gradient equals that of an independent formulation (windows as axes, then
    /// max over them; distinct values, so no ties), odd sizes included (the last row or column
    /// lies outside every window and gets 0).
    @Test(arguments: [[2, 3, 6, 8], [1, 2, 5, 7]])
    func matchesWindowMax(shape: [Int]) {
        let x = distinct(shape, seed: 81).requiringGradient()
        let (n, c, h, w) = (shape[0], shape[1], shape[2] / 2, shape[3] / 2)
        let seed = random([n, c, h, w], seed: 82)
        let dense = x.maxPool2d(kernel: 2).gradients(wrt: [x], seed: seed)[0]
        let windows = x.slice(axis: 2, 0..<(2 * h)).slice(axis: 3, 0..<(2 * w))
            .reshaped([n, c, h, 2, w, 2]).permuted([0, 1, 2, 4, 3, 5]).max(alongAxes: [4, 5])
        let reference = windows.gradients(wrt: [x], seed: seed)[0]
        #expect(dense == reference)
        checkGradients([x.detached()]) { $0[0].maxPool2d(kernel: 2) }
    }
}
