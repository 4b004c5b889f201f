import Testing
@testable import Tensors

@Suite("Autograd semantics")
struct AutogradTests {
    /// A two-task toy: shared trunk weight w, heads h1 and h2.
    func twoTaskLosses(_ w: Tensor, _ h1: Tensor, _ h2: Tensor) -> (Tensor, Tensor, Tensor) {
        let x = random([4, 3], seed: 50)
        let features = Tensor.matmul(x, w).tanh()
        return (features, (Tensor.matmul(features, h1) - 1).squared().mean(), Tensor.matmul(features, h2).sigmoid().mean())
    }

    @Test func severalBackwardPassesFromOneForward() {
        let w = random([3, 5], seed: 51).requiringGradient()
        let h1 = random([5, 1], seed: 52).requiringGradient(), h2 = random([5, 1], seed: 53).requiringGradient()
        let (_, l1, l2) = twoTaskLosses(w, h1, h2)
        let g1 = l1.gradients(wrt: [w, h1, h2]), g2 = l2.gradients(wrt: [w, h1, h2])
        let g1Again = l1.gradients(wrt: [w, h1, h2])
        #expect(g1 == g1Again)
        // Each loss's gradient equals the one from a separate forward pass.
        let (_, fresh1, _) = twoTaskLosses(w, h1, h2)
        #expect(fresh1.gradients(wrt: [w])[0] == g1[0])
        // Heads are independent: a task's loss does not reach the other head.
        #expect(g1[2] == Tensor.zeros([5, 1]) && g2[1] == Tensor.zeros([5, 1]))
        #expect(g1[1] != Tensor.zeros([5, 1]) && g2[2] != Tensor.zeros([5, 1]))
        // The sum's gradient is the sum of the gradients (accumulation).
        var accumulated = g1[0]
        accumulated += g2[0]
        #expect(maxRelativeError(accumulated, (l1 + l2).gradients(wrt: [w])[0]) < 1e-6)
    }

    @Test func gradientsForASubsetMatchTheFullGradient() {
        let w = random([3, 5], seed: 54).requiringGradient()
        let h1 = random([5, 1], seed: 55).requiringGradient(), h2 = random([5, 1], seed: 56).requiringGradient()
        let (_, l1, _) = twoTaskLosses(w, h1, h2)
        #expect(l1.gradients(wrt: [w])[0] == l1.gradients(wrt: [w, h1, h2])[0])
        #expect(l1.gradients(wrt: [h1])[0] == l1.gradients(wrt: [w, h1])[1])
    }

    @Test func gradientWithRespectToAnIntermediateValue() {
        let w = random([3, 5], seed: 57).requiringGradient()
        let h1 = random([5, 1], seed: 58), h2 = random([5, 1], seed: 59)
        let (features, l1, _) = twoTaskLosses(w, h1, h2)
        let viaFeatures = l1.gradients(wrt: [features])[0]
        #expect(viaFeatures.shape == [4, 5])
        let expected = Tensor.matmul((Tensor.matmul(features.detached(), h1) - 1) * (2.0 / 4), h1, transposeB: true)
        #expect(maxRelativeError(viaFeatures, expected) < 1e-6)
    }

    @Test func noGradientModeAndDetachRecordNothing() {
        let w = random([2, 2], seed: 60).requiringGradient()
        #expect((w * 2).requiresGradient)
        #expect(!withoutGradients { w * 2 }.requiresGradient)
        #expect(!(w * 2).detached().requiresGradient)
        // A detached branch contributes no gradient.
        let g = (w * w.detached()).sum().gradients(wrt: [w])[0]
        #expect(g == w.detached())
    }

    @Test func unusedInputGetsZerosAndSeedGivesVectorJacobianProduct() {
        let a = random([3], seed: 61).requiringGradient(), unused = random([2], seed: 62).requiringGradient()
        let y = a * 3
        let g = y.gradients(wrt: [a, unused], seed: Tensor([1, 2, 3]))
        #expect(g[0].scalars == [3, 6, 9] && g[1] == Tensor.zeros([2]))
    }

    @Test func reusedInputAccumulates() {
        let x = Tensor([2, -3]).requiringGradient()
        #expect((x * x + x).sum().gradients(wrt: [x])[0].scalars == [5, -5])
    }

    @Test func valueAndGradientForms() {
        let params = ["w": Tensor([1, 2]), "b": Tensor(0.5)]
        let (value, grads) = valueAndGradient(at: params) { p in (p["w"]! * p["w"]!).sum() + p["b"]! * 4 }
        #expect(value.scalar == 7 && !value.requiresGradient)
        #expect(grads["w"]!.scalars == [2, 4] && grads["b"]!.scalar == 4)
        let (values, perLoss) = valuesAndGradients(at: [Tensor([3])]) { p in [p[0].squared().sum(), (p[0] * 5).sum()] }
        #expect(values.map(\.scalar) == [9, 15])
        #expect(perLoss.map { $0[0].scalars } == [[6], [5]])
    }

    @Test func deepChainDoesNotOverflow() {
        let x = Tensor([1]).requiringGradient()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        #expect(Swift.abs(y.sum().gradients(wrt: [x])[0].scalar - 7.3888) < 0.01)
    }

    @Test func shapeMistakesNameTheOpAndBothShapes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }.map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("add") && text.contains("[2, 3]") && text.contains("[4]"))
        }
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }.map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("matmul") && text.contains("[2, 3]") && text.contains("[4, 5]"))
        }
    }
}
