import Foundation
import Testing
@testable import Tensors

/// Forward values against naive reference loops written from the definitions.
@Suite("Forward values")
struct ForwardTests {
    @Test func broadcastingMatchesNaiveIndexing() {
        let a = random([2, 1, 4, 3], seed: 40), b = random([3, 1, 3], seed: 41)
        let out = a * b
        #expect(out.shape == [2, 3, 4, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { for l in 0..<3 {
            #expect(out[i, j, k, l] == a[i, 0, k, l] * b[j, 0, l])
        } } } }
    }

    @Test func reductionsMatchNaiveLoops() {
        let x = random([3, 4, 5], seed: 42)
        let s = x.sum(alongAxes: [0, 2]), m = x.max(alongAxes: [1]), v = x.variance(alongAxes: [2])
        let am = x.argmax(alongAxis: 1), lse = x.logSumExp(alongAxes: [0])
        for j in 0..<4 {
            var total: Double = 0
            for i in 0..<3 { for k in 0..<5 { total += Double(x[i, j, k]) } }
            #expect(Swift.abs(s[j] - Float(total)) < 1e-5)
        }
        for i in 0..<3 { for k in 0..<5 {
            let column = (0..<4).map { x[i, $0, k] }
            #expect(m[i, k] == column.max()!)
            #expect(am[i, k] == Float(column.firstIndex(of: column.max()!)!))
        } }
        for i in 0..<3 { for j in 0..<4 {
            let row = (0..<5).map { Double(x[i, j, $0]) }
            let mean = row.reduce(0, +) / 5
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            #expect(Swift.abs(v[i, j] - Float(variance)) < 1e-6)
        } }
        for j in 0..<4 { for k in 0..<5 {
            let naive = Foundation.log((0..<3).map { Foundation.exp(Double(x[$0, j, k])) }.reduce(0, +))
            #expect(Swift.abs(lse[j, k] - Float(naive)) < 1e-6)
        } }
    }

    @Test func sumIsAccurateOverManyElements() {
        let x = Tensor.full([1_000_000], 0.1)
        #expect(Swift.abs(x.sum().scalar - 100_000) < 0.01)
    }

    @Test func reductionsPropagateNaN() {
        let x = Tensor([[1, .nan, 3], [4, 5, 6]])
        #expect(x.max(alongAxes: [1])[0].isNaN && x.max(alongAxes: [1])[1] == 6)
        #expect(x.min().scalar.isNaN)
    }

    @Test func matmulMatchesNaiveTripleLoop() {
        let a = random([2, 5, 7], seed: 43), b = random([7, 3], seed: 44)
        let c = Tensor.matmul(a, b)
        let ct = Tensor.matmul(a, b.transposed(), transposeB: true)
        for batch in 0..<2 { for i in 0..<5 { for j in 0..<3 {
            var acc: Double = 0
            for k in 0..<7 { acc += Double(a[batch, i, k]) * Double(b[k, j]) }
            #expect(Swift.abs(c[batch, i, j] - Float(acc)) < 1e-5)
            #expect(ct[batch, i, j] == c[batch, i, j])
        } } }
    }

    @Test func softmaxMatchesDefinitionAndIsStable() {
        let x = Tensor([[1, 2, 3], [1000, 1001, 1002]])
        let y = x.softmax(alongAxis: 1), ly = x.logSoftmax(alongAxis: 1)
        let e = [1, 2, 3].map { Foundation.exp(Double($0)) }
        for r in 0..<2 { for j in 0..<3 {
            #expect(Swift.abs(y[r, j] - Float(e[j] / e.reduce(0, +))) < 1e-6)
            #expect(Swift.abs(ly[r, j] - Float(Foundation.log(e[j] / e.reduce(0, +)))) < 1e-5)
        } }
    }

    @Test func shapeOpsMoveTheRightElements() {
        let x = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(x.transposed().scalars == [0, 3, 1, 4, 2, 5])
        #expect(x.slice(axis: 1, 1..<3).scalars == [1, 2, 4, 5])
        #expect(Tensor.concatenate([x, x.slice(axis: 1, 0..<1)], axis: 1).scalars == [0, 1, 2, 0, 3, 4, 5, 3])
        #expect(Tensor.stack([x, x + 10], axis: 1).shape == [2, 2, 3])
        #expect(Tensor.stack([x, x + 10], axis: 1).scalars == [0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15])
        #expect(x.indexSelect(axis: 0, [1, 1, 0]).scalars == [3, 4, 5, 3, 4, 5, 0, 1, 2])
        #expect(x.gather(axis: 1, indices: Tensor([[2], [0]])).scalars == [2, 3])
        #expect(x.padded([(1, 0), (0, 1)]).scalars == [0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0])
        #expect(Tensor.oneHot([2, 0], classes: 3).scalars == [0, 0, 1, 1, 0, 0])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
        #expect(x[1].scalars == [3, 4, 5])
        #expect(Tensor.arange(0, 5, step: 2).scalars == [0, 2, 4])
    }

    @Test func elementwiseFunctionsMatchScalarMath() {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
        #expect(x.leakyRelu(slope: 0.1).scalars == [-0.2, -0.05, 0, 0.5, 2])
        #expect(x.sign().scalars == [-1, -1, 0, 1, 1])
        #expect(x.clamped(min: -1, max: 1).scalars == [-1, -0.5, 0, 0.5, 1])
        #expect((x .> Tensor(0)).scalars == [0, 0, 0, 1, 1])
        for (i, v) in x.scalars.enumerated() {
            #expect(Swift.abs(x.sigmoid()[i] - Float(1 / (1 + Foundation.exp(-Double(v))))) < 1e-7)
            #expect(Swift.abs(x.gelu()[i] - Float(Double(v) * 0.5 * (1 + erf(Double(v) / 2.0.squareRoot())))) < 1e-6)
        }
        let extreme = Tensor([-100, 100]).sigmoid()
        #expect(extreme[0] > 0 && extreme[0] < 1e-30 && extreme[1] == 1)
    }
}
