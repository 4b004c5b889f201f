import Foundation
import Testing
import Tensors
import NN
@testable import Optimizers

@Suite("Optimizers")
struct OptimizerTests {
    let params = ParameterSet([("w", Tensor([1, -2])), ("b", Tensor([0.5]))])
    func grads(_ k: Int) -> ParameterSet { ParameterSet([("w", Tensor([0.1 * Float(k), -0.3])), ("b", Tensor([Float(k) - 1.5]))]) }

    @Test func sgdMatchesTheDefinition() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true)
        var p = params
        var buffer: [Float]? = nil
        var w = params["w"]!.scalars
        for k in 1...3 {
            p = sgd.step(p, gradients: grads(k))
            let g = zip(grads(k)["w"]!.scalars, w).map { $0 + 0.01 * $1 }
            buffer = buffer.map { b in zip(b, g).map { 0.9 * $0 + $1 } } ?? g
            w = zip(w, zip(g, buffer!)).map { $0 - 0.1 * ($1.0 + 0.9 * $1.1) }
            #expect(maxDifference(p["w"]!.scalars, w) < 1e-6)
        }
    }

    @Test func adamMatchesTheDefinition() {
        for decoupled in [false, true] {
            var adam = Adam(learningRate: 0.01, weightDecay: 0.1, decoupled: decoupled)
            var p = params
            var (m, v, w) = ([0.0, 0.0], [0.0, 0.0], params["w"]!.scalars.map(Double.init))
            for k in 1...4 {
                p = adam.step(p, gradients: grads(k))
                for i in 0..<2 {
                    var g = Double(grads(k)["w"]!.scalars[i])
                    if decoupled { w[i] *= 1 - 0.01 * 0.1 } else { g += 0.1 * w[i] }
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    let mHat = m[i] / (1 - pow(0.9, Double(k))), vHat = v[i] / (1 - pow(0.999, Double(k)))
                    w[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
                }
                #expect(maxDifference(p["w"]!.scalars, w.map(Float.init)) < 1e-5)
            }
        }
    }

    @Test func parametersWithoutGradientsAreLeftAlone() {
        var sgd = SGD(learningRate: 1)
        let p = sgd.step(params, gradients: ParameterSet([("b", Tensor([1]))]))
        #expect(p["w"] == params["w"] && p["b"]!.scalars == [-0.5])
    }

    @Test("resume is bit-exact", arguments: ["sgd", "adam", "adamw"])
    func resume(kind: String) throws {
        func make() -> any Optimizer {
            switch kind {
            case "sgd": SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3)
            case "adam": Adam(learningRate: 1e-2, weightDecay: 1e-3)
            default: Adam.adamW(learningRate: 1e-2)
            }
        }
        var straight = make()
        var p = params
        for k in 1...6 { p = straight.step(p, gradients: grads(k)) }
        var first = make()
        var q = params
        for k in 1...3 { q = first.step(q, gradients: grads(k)) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-optimizer-\(kind)-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try first.state().write(to: file)
        let saved = try OptimizerState.read(from: file)
        #expect(saved == first.state())
        var second = make()
        try second.load(saved)
        #expect(second.state() == saved)
        for k in 4...6 { q = second.step(q, gradients: grads(k)) }
        #expect(p == q)
        var wrong: any Optimizer = kind == "sgd" ? Adam() : SGD(learningRate: 1)
        #expect(throws: OptimizerError.self) { try wrong.load(saved) }
    }

    @Test func schedulesAndClipping() {
        #expect((0..<7).map { StepDecay(stepSize: 3, gamma: 0.5).learningRate(at: $0, base: 0.1) } == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])
        let cosine = CosineAnnealing(period: 10, minimum: 0.001)
        #expect(cosine.learningRate(at: 0, base: 0.1) == 0.1 && Swift.abs(cosine.learningRate(at: 10, base: 0.1) - 0.001) < 1e-9)
        #expect(Swift.abs(cosine.learningRate(at: 5, base: 0.1) - 0.0505) < 1e-7)
        let warmup = LinearWarmup(startFactor: 0.1, steps: 4)
        #expect((0..<6).map { warmup.learningRate(at: $0, base: 1) }.map { ($0 * 1000).rounded() / 1000 } == [0.1, 0.325, 0.55, 0.775, 1, 1])
        let chained = SequentialSchedule([LinearWarmup(startFactor: 0.1, steps: 3), CosineAnnealing(period: 8)], milestones: [3])
        #expect(chained.learningRate(at: 3, base: 0.1) == 0.1 && chained.learningRate(at: 2, base: 0.1) < 0.1)
        let g = ParameterSet([("a", Tensor([3, 4])), ("b", Tensor([12]))])
        let (clipped, norm) = Clipping.clipGradientNorm(g, maxNorm: 6.5)
        #expect(norm == 13 && Swift.abs(clipped.norm - 6.5) < 1e-5)
        let (same, _) = Clipping.clipGradientNorm(g, maxNorm: 100)
        #expect(same == g)
        #expect(Clipping.clipGradientNorm(g, maxNorm: 1, normType: .infinity).totalNorm == 12)
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0 }
}
