import Foundation
import Testing
import Tensors
@testable import NN

@Suite("Losses and ParameterSet")
struct LossAndParameterSetTests {
    @Test func crossEntropyBasics() {
        let logits = Tensor([[2, 1, 0], [0, 0, 3]]), targets = Tensor([0, 2])
        let logp = logits.logSoftmax(alongAxis: 1)
        let expected = -(logp[0, 0] + logp[1, 2]) / 2
        #expect(Swift.abs(Loss.crossEntropy(logits, targets).scalar - expected) < 1e-6)
        // An ignored label contributes nothing, and the mean is over the others.
        let ignored = Loss.crossEntropy(logits, Tensor([0, -100]))
        #expect(Swift.abs(ignored.scalar + logp[0, 0]) < 1e-6)
        #expect(Loss.crossEntropy(logits, Tensor([0, -100]), reduction: .none).scalars[1] == 0)
    }

    @Test func regressionLossesOnKnownValues() {
        let p = Tensor([0, 1, 4]), t = Tensor([0.5, 1, 1])
        #expect(Loss.mse(p, t, reduction: .none).scalars == [0.25, 0, 9])
        #expect(Loss.l1(p, t, reduction: .sum).scalar == 3.5)
        #expect(Loss.huber(p, t, reduction: .none).scalars == [0.125, 0, 2.5])
        #expect(Loss.huber(p, t, delta: 0.5, reduction: .none).scalars == [0.125, 0, 1.375])
        let logits = Tensor([-30, 0, 30]), labels = Tensor([0, 1, 1])
        let bce = Loss.binaryCrossEntropyWithLogits(logits, labels, reduction: .none).scalars
        #expect(Swift.abs(bce[1] - Float(log(2.0))) < 1e-6 && bce[0] < 1e-12 && bce[2] < 1e-12)
    }

    @Test func parameterSetArithmetic() {
        let a = ParameterSet([("trunk.w", Tensor([1, 2])), ("heads.x.b", Tensor([3]))])
        let b = ParameterSet([("heads.x.b", Tensor([1])), ("trunk.w", Tensor([0, 1]))])
        #expect((a + b)["trunk.w"]!.scalars == [1, 3] && (a - b)["heads.x.b"]!.scalars == [2])
        #expect((a * 2)["trunk.w"]!.scalars == [2, 4] && (a / 2)["heads.x.b"]!.scalars == [1.5])
        #expect(a.dot(b) == 5 && a.norm == Double(14).squareRoot())
        #expect(Swift.abs(a.cosine(b) - 5 / (Double(14).squareRoot() * Double(2).squareRoot())) < 1e-12)
        #expect(a.with(prefix: "trunk.").names == ["trunk.w"] && a.without(prefix: "trunk.").names == ["heads.x.b"])
        let mask = ParameterSet([("trunk.w", Tensor([0, 1])), ("heads.x.b", Tensor([1]))])
        #expect((a * mask).flattened.scalars == [0, 2, 3])
        #expect(a.scalarCount == 3 && (a + b).names == a.names)
        var c = a
        c["trunk.w"] = nil
        #expect(c.names == ["heads.x.b"])
    }
}
