import Testing
@testable import Tensors

/// NaN must reach the output and its gradient path as in PyTorch, so a NaN (say, from a bad
/// initialisation) is never hidden as a 0.
@Suite("NaN propagation")
struct NaNPropagationTests {
    /// Element-wise equality where NaN equals NaN.
    func same(_ a: Tensor, _ b: [Float]) -> Bool {
        a.count == b.count && zip(a.scalars, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    @Test func reluKeepsNaNAndPassesItsGradient() {
        // torch.relu(nan) = nan; threshold_backward(g, x, 0) = x <= 0 ? 0 : g, so g passes at NaN.
        let x = Tensor([.nan, -1, 0, 2, -.infinity, .infinity]).requiringGradient()
        let y = x.relu()
        #expect(same(y, [.nan, 0, 0, 2, 0, .infinity]))
        let g = y.gradients(wrt: [x], seed: Tensor([10, 20, 30, 40, 50, 60]))[0]
        #expect(g.scalars == [10, 0, 0, 40, 0, 60])
    }

    @Test func reluKeepsNaNOnTheParallelPath() {
        // Large enough for the multi-threaded elementwise loop.
        var values = (0..<300_000).map { Float($0 % 7) - 3 }
        for i in stride(from: 5, to: values.count, by: 1001) { values[i] = .nan }
        let y = Tensor(values).relu()
        let nanCount = y.scalars.filter(\.isNaN).count
        #expect(nanCount == values.filter(\.isNaN).count)
        let matches = same(y, values.map { $0.isNaN ? .nan : Swift.max($0, 0) })  // outside #expect: no 300k-element dump
        #expect(matches)
    }

    @Test func leakyReluSigmoidTanhGeluKeepNaN() {
        let x = Tensor([.nan, -2, 3])
        for (name, y) in [("leakyRelu", x.leakyRelu(slope: 0.1)), ("sigmoid", x.sigmoid()), ("tanh", x.tanh()),
                          ("gelu", x.gelu()), ("gelu tanh", x.gelu(approximate: true)), ("abs", x.abs()), ("sign", x.sign())] {
            #expect(y[0].isNaN && !y[1].isNaN && !y[2].isNaN, "\(name)")
        }
    }

    @Test func clampKeepsNaNAndGivesItNoGradient() {
        // torch.clamp(nan) = nan; clamp_backward masks with (x >= low) & (x <= high), false for NaN.
        let x = Tensor([.nan, -5, 0.5, 5]).requiringGradient()
        let y = x.clamped(min: -1, max: 1)
        #expect(same(y, [.nan, -1, 0.5, 1]))
        #expect(y.gradients(wrt: [x], seed: Tensor([1, 1, 1, 1]))[0].scalars == [0, 0, 1, 0])
        #expect(x.clamped(min: 0)[0].isNaN && x.clamped(max: 0)[0].isNaN)
    }

    @Test func maximumAndMinimumGiveBothInputsTheGradientAtNaN() {
        // torch.maximum: where(a == b, g/2, g) masked where the other input strictly wins; NaN loses nowhere.
        let a = Tensor([.nan, 1, 2, 3]).requiringGradient(), b = Tensor([0, .nan, 2, 1]).requiringGradient()
        let cases: [(String, Tensor, [Float], [Float])] = [("maximum", Tensor.maximum(a, b), [1, 1, 0.5, 1], [1, 1, 0.5, 0]),
                                                           ("minimum", Tensor.minimum(a, b), [1, 1, 0.5, 0], [1, 1, 0.5, 1])]
        for (name, y, aShare, bShare) in cases {
            #expect(y[0].isNaN && y[1].isNaN && y[2] == 2, "\(name)")
            let g = y.gradients(wrt: [a, b], seed: Tensor([4, 4, 4, 4]))
            #expect(g[0].scalars == aShare.map { $0 * 4 } && g[1].scalars == bShare.map { $0 * 4 }, "\(name)")
        }
    }

    @Test func reductionsArgmaxAndSoftmaxKeepNaN() {
        let x = Tensor([[1, .nan, 3, .nan], [4, 5, 6, 7]])
        #expect(x.argmax(alongAxis: 1).scalars == [1, 3])  // the first NaN, as torch.argmax
        #expect(x.min(alongAxes: [1])[0].isNaN && x.min(alongAxes: [1])[1] == 4)
        #expect(x.softmax(alongAxis: 1).scalars[0..<4].allSatisfy { $0.isNaN })
        #expect(x.logSoftmax(alongAxis: 1).scalars[0..<4].allSatisfy { $0.isNaN })
        #expect(x.logSumExp(alongAxes: [1])[0].isNaN && !x.logSumExp(alongAxes: [1])[1].isNaN)
        #expect(Tensor.softmaxCrossEntropy(x, labels: [0, 0])[0].isNaN)
        // torch.amax's backward, (g / Σ mask) · mask with mask = (x == max), is 0/0 on a NaN row.
        let w = x.requiringGradient()
        let g = w.max(alongAxes: [1]).gradients(wrt: [w], seed: Tensor([1, 1]))[0]
        #expect(g.scalars[0..<4].allSatisfy { $0.isNaN } && g.scalars[4..<8] == [0, 0, 0, 1])
    }

    /// One plane, 4×4, with a NaN in the top-left 2×2 tile (not at its first tap) and a NaN
    /// followed by larger values in the bottom-right tile.
    static let plane: [Float] = {
        var x = (0..<16).map { Float($0) }
        x[5] = .nan  // tile (0, 0): taps 0, 1, 4, 5
        x[10] = .nan  // tile (1, 1): taps 10, 11, 14, 15
        return x
    }()

    @Test("max-pool keeps NaN and sends the gradient to it", arguments: [false, true])
    func maxPoolForwardAndGradient(tiles: Bool) {
        // Kernel 2 (stride 2) runs the 2×2 tile kernels; kernel 3, stride 2, padding 1 the general one.
        let x = Tensor(shape: [1, 1, 4, 4], scalars: Self.plane).requiringGradient()
        let y = tiles ? x.maxPool2d(kernel: 2) : x.maxPool2d(kernel: 3, stride: 2, padding: 1)
        let g = y.gradients(wrt: [x], seed: Tensor(shape: y.shape, scalars: [1, 2, 3, 4]))[0].scalars
        if tiles {
            #expect(same(y, [.nan, 7, 13, .nan]))
            var want = [Float](repeating: 0, count: 16)
            (want[5], want[7], want[13], want[10]) = (1, 2, 3, 4)
            #expect(g == want)
        } else {
            // Windows (rows, cols): (-1...1, -1...1), (-1...1, 1...3), (1...3, -1...1), (1...3, 1...3).
            #expect(same(y, [.nan, .nan, .nan, .nan]))
            var want = [Float](repeating: 0, count: 16)
            want[5] = 1 + 2 + 3  // the only NaN of the first three windows
            want[10] = 4  // the last NaN in scan order of window 4 (PyTorch: `val > max || isnan(val)`)
            #expect(g == want)
        }
    }

    @Test func reluThenMaxPoolKeepsNaNInSequentialOrder() {
        // ReLU then pool, or pool then ReLU (Sequential's rewrite): the same NaN and gradient.
        let x = Tensor(shape: [1, 1, 4, 4], scalars: Self.plane.map { $0 - 8 }).requiringGradient()
        let a = x.relu().maxPool2d(kernel: 2), b = x.maxPool2d(kernel: 2).relu()
        #expect(same(a, b.scalars) && a[0, 0, 0, 0].isNaN && a[0, 0, 1, 1].isNaN)
        let seed = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        #expect(a.gradients(wrt: [x], seed: seed)[0] == b.gradients(wrt: [x], seed: seed)[0])
        #expect(a.gradients(wrt: [x], seed: seed)[0][0, 0, 1, 1] == 1)
    }

    @Test func fusedConvMaxPoolKeepsNaNAndRoutesItsGradient() {
        // A 1×1 identity convolution, so the conv output is the input and NaN sits where it was put.
        let x = Tensor(shape: [1, 1, 4, 4], scalars: Self.plane).requiringGradient()
        let w = Tensor(shape: [1, 1, 1, 1], scalars: [1]).requiringGradient()
        let fused = Tensor.conv2dMaxPool2x2(x, weight: w)
        let plain = Tensor.conv2d(x, weight: w).maxPool2d(kernel: 2)
        #expect(same(fused, [.nan, 7, 13, .nan]) && same(plain, fused.scalars))
        let seed = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let gf = fused.gradients(wrt: [x, w], seed: seed), gp = plain.gradients(wrt: [x, w], seed: seed)
        var want = [Float](repeating: 0, count: 16)
        (want[5], want[7], want[13], want[10]) = (1, 2, 3, 4)
        #expect(gf[0].scalars == want && gp[0].scalars == want)
        #expect(gf[1].scalars[0].isNaN && gp[1].scalars[0].isNaN)  // Σ g·x over the chosen taps meets the NaNs
        // With ReLU after it (Sequential's conv → ReLU → pool order): still NaN.
        #expect(fused.relu()[0, 0, 0, 0].isNaN)
    }
}
