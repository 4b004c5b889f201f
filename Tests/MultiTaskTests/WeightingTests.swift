import Foundation
import NN
import Testing
import Tensors
@testable import MultiTask

@Suite("Loss weighting")
struct WeightingTests {
    let losses = [Tensor(2), Tensor(0.5), Tensor(1)]

    @Test func equalAndStatic() throws {
        var equal = try Weightings.make("equal", tasks: 3, seed: 0)
        #expect(equal.combine(losses, parameters: ParameterSet()).scalar == 3.5)
        var fixed = try Weightings.make("static:1, 0.5, 2", tasks: 3, seed: 0)
        #expect(fixed.combine(losses, parameters: ParameterSet()).scalar == 4.25)
        #expect(throws: ConfigurationError.self) { try Weightings.make("static:1,2", tasks: 3, seed: 0) }
        #expect(throws: ConfigurationError.self) { try Weightings.make("gradnorm2000", tasks: 3, seed: 0) }
    }

    @Test func uncertaintyObjectiveAndGradient() throws {
        var uw = try Weightings.make("uw", tasks: 3, seed: 0)
        let s = uw.parameters["weighting.log_variance"]!.requiringGradient()
        let objective = uw.combine(losses, parameters: ParameterSet([("weighting.log_variance", s)]))
        // Σ L/(2e^s) + s/2 at s = −0.5.
        let expected = [2.0, 0.5, 1].map { $0 / (2 * exp(-0.5)) - 0.25 }.reduce(0, +)
        #expect(Swift.abs(Double(objective.scalar) - expected) < 1e-5)
        // ∂/∂s = −L/(2e^s) + 1/2.
        let grad = objective.gradients(wrt: [s])[0].scalars.map(Double.init)
        for (g, l) in zip(grad, [2.0, 0.5, 1]) { #expect(Swift.abs(g - (0.5 - l / (2 * exp(-0.5)))) < 1e-5) }
        #expect(Swift.abs(uw.weights[0] - 1 / (2 * exp(-0.5))) < 1e-6)
    }

    @Test func dynamicWeightAverage() throws {
        var dwa = DynamicWeightAverage(tasks: 2, temperature: 2)
        dwa.endEpoch(meanLosses: [1, 1])
        #expect(dwa.weights == [1, 1])
        dwa.endEpoch(meanLosses: [0.5, 0.9])
        let r = [0.5 / 2, 0.9 / 2], z = r.map { exp($0) }
        #expect(zip(dwa.weights, z.map { 2 * $0 / z.reduce(0, +) }).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        var restored = DynamicWeightAverage(tasks: 2, temperature: 2)
        restored.state = dwa.state
        dwa.endEpoch(meanLosses: [0.4, 0.3])
        restored.endEpoch(meanLosses: [0.4, 0.3])
        #expect(restored.weights == dwa.weights)
    }

    @Test func randomLossWeightingIsSeededAndResumable() throws {
        var a = RandomLossWeighting(tasks: 3, seed: 7), b = RandomLossWeighting(tasks: 3, seed: 7)
        _ = a.combine(losses, parameters: ParameterSet())
        _ = b.combine(losses, parameters: ParameterSet())
        #expect(a.weights == b.weights && Swift.abs(a.weights.reduce(0, +) - 1) < 1e-12)
        var resumed = RandomLossWeighting(tasks: 3, seed: 99)
        resumed.state = a.state
        _ = a.combine(losses, parameters: ParameterSet())
        _ = resumed.combine(losses, parameters: ParameterSet())
        #expect(resumed.weights == a.weights)
    }
}
