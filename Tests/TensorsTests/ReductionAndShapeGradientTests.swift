import Testing
@testable import Tensors

@Suite("Gradients of reductions, shape ops, matmul and softmax")
struct ReductionAndShapeGradientTests {
    @Test func reductions() {
        let x = random([2, 3, 4], seed: 20)
        for keep in [false, true] {
            checkGradients([x]) { $0[0].sum(alongAxes: [1], keepingDimensions: keep) }
            checkGradients([x]) { $0[0].sum(alongAxes: [0, 2], keepingDimensions: keep) }
            checkGradients([x]) { $0[0].mean(alongAxes: [1, 2], keepingDimensions: keep) }
            checkGradients([x]) { $0[0].variance(alongAxes: [2], keepingDimensions: keep) }
            checkGradients([x]) { $0[0].variance(alongAxes: [0, 1], correction: 0, keepingDimensions: keep) }
            checkGradients([x]) { $0[0].logSumExp(alongAxes: [1], keepingDimensions: keep) }
        }
        checkGradients([x]) { $0[0].sum() }
        checkGradients([x]) { $0[0].mean() }
        checkGradients([x]) { $0[0].logSumExp() }
    }

    @Test func maxMin() {
        let x = distinct([3, 4, 2], seed: 21)
        checkGradients([x]) { $0[0].max(alongAxes: [1]) }
        checkGradients([x]) { $0[0].min(alongAxes: [0, 2], keepingDimensions: true) }
        checkGradients([x]) { $0[0].max() }
    }

    @Test func maxTiesShareTheGradient() {
        let x = Tensor([[1, 3, 3], [2, 0, 1]]).requiringGradient()
        let g = x.max(alongAxes: [1]).sum().gradients(wrt: [x])[0]
        #expect(g.scalars == [0, 0.5, 0.5, 1, 0, 0])
    }

    @Test func shapeOps() {
        let x = random([2, 3, 4], seed: 22)
        checkGradients([x]) { $0[0].reshaped([4, -1]) }
        checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([x]) { $0[0].transposed() }
        checkGradients([x]) { $0[0].transposed(0, 2).flattened() }
        checkGradients([x]) { $0[0].slice(axis: 1, 1..<3) }
        checkGradients([x]) { $0[0].slice(axis: -1, 0..<1).squeezed() }
        checkGradients([x]) { $0[0][1] }
        checkGradients([x]) { $0[0].unsqueezed(at: 1) }
        checkGradients([x]) { $0[0].indexSelect(axis: 2, [3, 0, 3, 1]) }
        checkGradients([x]) { $0[0].padded([(0, 1), (2, 0), (1, 1)], value: 0.5) }
        let idx = Tensor(shape: [2, 2, 4], scalars: [0, 2, 1, 1, 2, 2, 0, 0, 1, 0, 0, 2, 2, 1, 1, 0])
        checkGradients([x]) { $0[0].gather(axis: 1, indices: idx) }
    }

    @Test func joins() {
        let a = random([2, 3], seed: 23), b = random([2, 1], seed: 24), c = random([2, 3], seed: 25)
        checkGradients([a, b, c]) { Tensor.concatenate($0, axis: 1) }
        checkGradients([a, c]) { Tensor.concatenate($0, axis: 0) }
        checkGradients([a, c]) { Tensor.stack($0, axis: 1) }
        checkGradients([a, c]) { Tensor.stack($0, axis: -1) }
    }

    @Test("matmul", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transpose: (Bool, Bool)) {
        let a = random(transpose.0 ? [4, 3] : [3, 4], seed: 26)
        let b = random(transpose.1 ? [5, 4] : [4, 5], seed: 27)
        checkGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: transpose.0, transposeB: transpose.1) }
        let batchedA = random(transpose.0 ? [2, 4, 3] : [2, 3, 4], seed: 28)
        checkGradients([batchedA, b]) { Tensor.matmul($0[0], $0[1], transposeA: transpose.0, transposeB: transpose.1) }
        let batchedB = random(transpose.1 ? [3, 1, 5, 4] : [3, 1, 4, 5], seed: 29)
        checkGradients([batchedA, batchedB]) { Tensor.matmul($0[0], $0[1], transposeA: transpose.0, transposeB: transpose.1) }
    }

    @Test func matmulVectors() {
        let m = random([3, 4], seed: 30), v = random([4], seed: 31), w = random([3], seed: 32)
        checkGradients([m, v]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients([w, m]) { Tensor.matmul($0[0], $0[1]) }
    }

    @Test func softmaxes() {
        let x = random([2, 3, 4], seed: 33, low: -2, high: 2)
        for axis in [0, 1, -1] {
            checkGradients([x]) { $0[0].softmax(alongAxis: axis) }
            checkGradients([x]) { $0[0].logSoftmax(alongAxis: axis) }
        }
    }
}

@Suite("Fused linear")
struct LinearTests {
    @Test func linearMatchesMatmulPlusBiasAndHasGradients() {
        let x = random([2, 3, 4], seed: 34), w = random([5, 4], seed: 35), b = random([5], seed: 36)
        let reference = Tensor.matmul(x, w, transposeB: true) + b
        #expect(maxRelativeError(Tensor.linear(x, weight: w, bias: b), reference) < 1e-6)
        checkGradients([x, w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checkGradients([x, w]) { Tensor.linear($0[0], weight: $0[1]) }
    }
}

@Suite("Fused softmax cross-entropy")
struct SoftmaxCrossEntropyTests {
    @Test func gradientsAndValues() {
        let logits = random([5, 4], seed: 37, low: -2, high: 2)
        let labels = [2, 0, -1, 3, 1]
        for (weights, smoothing) in [(nil, Float(0)), ([1, 2, 0.5, 3] as [Float]?, Float(0)), (nil, 0.1), ([1, 2, 0.5, 3], 0.2)] {
            checkGradients([logits]) { Tensor.softmaxCrossEntropy($0[0], labels: labels, classWeights: weights, labelSmoothing: smoothing) }
        }
        // Against the definition: −log softmax at the label; an ignored row gives 0.
        let loss = Tensor.softmaxCrossEntropy(logits, labels: labels)
        let logp = logits.logSoftmax(alongAxis: 1)
        for (i, y) in labels.enumerated() { #expect(Swift.abs(loss[i] - (y < 0 ? 0 : -logp[i, y])) < 1e-6) }
    }
}
