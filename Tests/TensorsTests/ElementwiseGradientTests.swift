import Testing
@testable import Tensors

@Suite("Gradients of elementwise ops")
struct ElementwiseGradientTests {
    static let shapePairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1, 4], [3, 1]), ([4], []), ([1, 3], [2, 1])]

    @Test("binary arithmetic with broadcasting", arguments: shapePairs)
    func arithmetic(shapes: ([Int], [Int])) {
        let a = random(shapes.0, seed: 1), b = random(shapes.1, seed: 2, low: 0.5, high: 1.5)
        checkGradients([a, b]) { $0[0] + $0[1] }
        checkGradients([a, b]) { $0[0] - $0[1] }
        checkGradients([a, b]) { $0[0] * $0[1] }
        checkGradients([a, b]) { $0[0] / $0[1] }
        checkGradients([a, b]) { $0[1].pow($0[0]) }
    }

    @Test func scalarArithmetic() {
        let a = random([3, 2], seed: 3, low: 0.5, high: 2)
        checkGradients([a]) { ($0[0] + 2) * 3 - 1 }
        checkGradients([a]) { 2 / $0[0] - (1 - $0[0]) / 4 }
        checkGradients([a]) { -$0[0] }
    }

    @Test func mathFunctions() {
        let positive = random([2, 5], seed: 4, low: 0.3, high: 2)
        let signed = awayFromZero([2, 5], seed: 5)
        checkGradients([signed]) { $0[0].exp() }
        checkGradients([positive]) { $0[0].log() }
        checkGradients([positive]) { $0[0].sqrt() }
        checkGradients([positive]) { $0[0].pow(2.5) }
        checkGradients([signed]) { $0[0].pow(3) }
        checkGradients([signed]) { $0[0].abs() }
        checkGradients([signed]) { $0[0].sign() }
        checkGradients([Tensor([-1, -0.7, -0.3, 0.2, 0.5, 0.9])]) { $0[0].clamped(min: -0.5, max: 0.6) }
        checkGradients([signed]) { $0[0].squared() }
    }

    @Test func minimumMaximum() {
        let a = distinct([3, 4], seed: 6), b = distinct([4], seed: 7) + 0.01
        checkGradients([a, b]) { Tensor.minimum($0[0], $0[1]) }
        checkGradients([a, b]) { Tensor.maximum($0[0], $0[1]) }
    }

    @Test func minimumMaximumTiesSplitTheGradient() {
        let a = Tensor([1, 2, 3]).requiringGradient(), b = Tensor([1, 0, 5]).requiringGradient()
        let g = Tensor.maximum(a, b).gradients(wrt: [a, b])
        #expect(g[0].scalars == [0.5, 1, 0])
        #expect(g[1].scalars == [0.5, 0, 1])
    }

    @Test func activations() {
        let x = awayFromZero([3, 4], seed: 8) * 3
        checkGradients([x]) { $0[0].relu() }
        checkGradients([x]) { $0[0].leakyRelu(slope: 0.1) }
        checkGradients([x]) { $0[0].sigmoid() }
        checkGradients([x]) { $0[0].tanh() }
        checkGradients([x]) { $0[0].gelu() }
        checkGradients([x]) { $0[0].gelu(approximate: true) }
    }

    @Test func whereSelectsAndRoutesGradient() {
        let cond = Tensor([[1, 0, 1]]), a = random([2, 3], seed: 9), b = random([3], seed: 10)
        checkGradients([a, b]) { Tensor.where(cond, $0[0], $0[1]) }
        let out = Tensor.where(cond, a, b)
        #expect(out.scalars[1] == b.scalars[1] && out.scalars[3] == a.scalars[3])
    }

    @Test func expandedSumsGradientBack() {
        checkGradients([random([3, 1], seed: 11)]) { $0[0].expanded(to: [2, 3, 4]) }
        checkGradients([random([2, 3, 4], seed: 12)]) { $0[0].sum(toShape: [3, 1]) }
    }
}
