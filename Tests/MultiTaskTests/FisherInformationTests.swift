import Data
import Foundation
@testable import MultiTask
import NN
import Tensors
import Testing

/// The diagonal Fisher against its closed form for a softmax-linear model (derived in
/// FisherInformation.swift): tr F = E_x[(‖x‖² + 1)(1 − ‖p‖²)].
@Suite("Fisher information")
struct FisherInformationTests {
    /// A softmax-linear model on 5 features with 4 classes, random weights large enough that p is far from uniform.
    func softmaxLinear(examples: Int = 300) throws -> (MultiTaskModel, Dataset, closedForm: Double) {
        let spec = ModelSpec(name: "softmax-linear", input: [5], trunk: [], heads: [.init(task: "c", layers: [.linear(in: 5, out: 4, bias: true)])])
        let model = try MultiTaskModel(spec: spec, tasks: [TaskSpec(name: "c", kind: .multiclass(classes: 4))], seed: 3)
        var rng = RandomGenerator(seed: 9)
        try model.network.update(parameters: model.network.parameters().map { t in Tensor(shape: t.shape, scalars: (0..<t.count).map { _ in rng.nextNormal() }) })
        let inputs = (0..<(examples * 5)).map { _ in rng.nextNormal() }
        let labels = (0..<examples).map { _ in Float(rng.next() % 4) }
        let data = try Dataset(name: "toy", inputs: Tensor(shape: [examples, 5], scalars: inputs), tasks: [TaskInfo(name: "c", kind: .multiclass(classes: 4))],
                               labels: ["c": Tensor(labels)])
        let logits = withoutGradients { model.network.forward(data.inputs).outputs[0].output.scalars }
        var total = 0.0
        for n in 0..<examples {
            let x = inputs[(n * 5) ..< ((n + 1) * 5)].map(Double.init)
            let z = logits[(n * 4) ..< ((n + 1) * 4)].map(Double.init)
            let e = z.map { exp($0 - z.max()!) }
            let p = e.map { $0 / e.reduce(0, +) }
            total += (x.map { $0 * $0 }.reduce(0, +) + 1) * (1 - p.map { $0 * $0 }.reduce(0, +))
        }
        return (model, data, total / Double(examples))
    }

    /// Exact in y: the trace equals the closed form to float rounding.
    @Test func expectedLabelsGiveTheClosedForm() throws {
        let (model, data, closedForm) = try softmaxLinear()
        var settings = FisherInformation.Settings()
        settings.labels = .expected
        settings.examples = data.count
        let fisher = try FisherInformation.diagonal(model: model, data: data, settings: settings)
        #expect(fisher.names == model.network.parameters().names)
        let logTrace = FisherInformation.logTrace(fisher)
        #expect(Swift.abs(logTrace - Foundation.log(closedForm)) < 1e-5, "\(logTrace) vs \(Foundation.log(closedForm))")
        #expect(fisher.allSatisfy { $0.tensor.scalars.allSatisfy { $0 >= 0 } })
    }

    /// Sampled labels: an unbiased estimate, within 5 standard errors of the closed form over 2,000
    /// draws; the same seed gives the same bits; the empirical Fisher is something else.
    @Test func sampledLabelsEstimateIt() throws {
        let (model, data, closedForm) = try softmaxLinear(examples: 2000)
        var settings = FisherInformation.Settings()
        settings.examples = 2000
        settings.seed = 4
        let fisher = try FisherInformation.diagonal(model: model, data: data, settings: settings)
        let trace = Foundation.exp(FisherInformation.logTrace(fisher))
        // Per example the sampled trace is (‖x‖² + 1)‖e_y − p‖² ≤ 2(‖x‖² + 1); bound its spread by that.
        let bound = data.inputs.scalars.chunked(5).map { 2 * ($0.map { Double($0 * $0) }.reduce(0, +) + 1) }
        let meanSquare = bound.map { $0 * $0 }.reduce(0, +) / Double(bound.count)
        let standardError = (meanSquare / 2000).squareRoot()
        #expect(Swift.abs(trace - closedForm) < 5 * standardError, "\(trace) vs \(closedForm) ± \(standardError)")
        #expect(try FisherInformation.diagonal(model: model, data: data, settings: settings) == fisher)
        settings.labels = .empirical
        #expect(try FisherInformation.diagonal(model: model, data: data, settings: settings) != fisher)
        settings.examples = 0
        #expect(throws: ConfigurationError.self) { try FisherInformation.diagonal(model: model, data: data, settings: settings) }
        settings.examples = 10
        settings.tasks = ["nope"]
        #expect(throws: ConfigurationError.self) { try FisherInformation.diagonal(model: model, data: data, settings: settings) }
        // Empirical labels of which none is given: refused, not a Fisher of zero (log tr F = −∞).
        settings.tasks = nil
        let unlabelled = try Dataset(name: "toy", inputs: data.inputs, tasks: data.tasks, labels: ["c": Tensor([Float](repeating: .nan, count: data.count))])
        #expect { try FisherInformation.diagonal(model: model, data: unlabelled, settings: settings) } throws: { "\($0)".contains("task 'c' has no label among the 10 example(s)") }
    }
}

extension Array {
    /// Consecutive pieces of `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] { stride(from: 0, to: count, by: size).map { self[$0 ..< Swift.min($0 + size, count)] } }
}
