import Data
import Foundation
import Testing
import Tensors
@testable import MultiTask

@Suite("Metrics, losses with missing labels, Δm")
struct MetricsTests {
    @Test func classificationMetricsOnKnownValues() {
        #expect(Metrics.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75)
        // Class 0: TP1 → F1 1; class 1: TP1 FN1 → 2/3; class 2: TP1 FP1 → 2/3.
        #expect(Swift.abs(Metrics.macroF1([0, 1, 2, 2], [0, 1, 1, 2], classes: 4) - (1 + 2.0 / 3 + 2.0 / 3) / 3) < 1e-12)
        #expect(Metrics.auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75)
        #expect(Metrics.auroc([0.5, 0.5], [0, 1]) == 0.5)
        #expect(Metrics.auroc([0.5, 0.7], [1, 1]).isNaN)
    }

    @Test func aurocMatchesPairCounting() {
        var rng = RandomGenerator(seed: 4)
        let scores = (0..<200).map { _ in Double(Int(rng.nextUniform() * 20)) }  // many ties
        let truth = (0..<200).map { _ in rng.nextUniform() < 0.4 ? 1 : 0 }
        var wins = 0.0, pairs = 0.0
        for i in 0..<200 where truth[i] == 1 {
            for j in 0..<200 where truth[j] == 0 {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : (scores[i] == scores[j] ? 0.5 : 0)
            }
        }
        #expect(Swift.abs(Metrics.auroc(scores, truth) - wins / pairs) < 1e-12)
    }

    @Test func perKindMetricsSkipMissingLabels() {
        let regression = TaskSpec(name: "r", kind: .regression)
        let m = Metrics.compute(regression, outputs: Tensor(shape: [3, 1], scalars: [1, 5, 2]), labels: Tensor([2, .nan, 4]))
        #expect(m.map(\.name) == ["mae", "rmse"] && m[0].value == 1.5 && Swift.abs(m[1].value - (2.5).squareRoot()) < 1e-12)
        #expect(!m[0].higherIsBetter)
        let binary = TaskSpec(name: "b", kind: .binary)
        let b = Metrics.compute(binary, outputs: Tensor(shape: [3, 2], scalars: [0, 1, 1, 0, 0, 3]), labels: Tensor([1, 1, .nan]))
        #expect(b[0].value == 0.5 && b[0].higherIsBetter)
    }

    @Test func missingLabelsAreMaskedOutOfTheLoss() {
        let logits = Tensor([[2, 0, 1], [0.5, 0.2, 0.1], [1, 1, 3]])
        let task = TaskSpec(name: "c", kind: .multiclass(classes: 3))
        let masked = task.loss(logits, Tensor([0, .nan, 2])).scalar
        let subset = task.loss(Tensor([[2, 0, 1], [1, 1, 3]]), Tensor([0, 2])).scalar
        #expect(Swift.abs(masked - subset) < 1e-6)
        let regression = TaskSpec(name: "r", kind: .regression)
        #expect(regression.loss(Tensor(shape: [3, 1], scalars: [1, 9, 3]), Tensor([2, .nan, 3])).scalar == 0.5)
        #expect(regression.loss(Tensor(shape: [2, 1], scalars: [1, 9]), Tensor([.nan, .nan])).scalar == 0)
    }

    @Test func deltaMInBothConventions() {
        func evaluation(_ accuracy: Double, _ mae: Double) -> Evaluation {
            Evaluation(tasks: [TaskEvaluation(task: "a", loss: 0, metrics: [Metric(name: "accuracy", value: accuracy, higherIsBetter: true)]),
                               TaskEvaluation(task: "b", loss: 0, metrics: [Metric(name: "mae", value: mae, higherIsBetter: false)])])
        }
        let delta = DeltaM(model: evaluation(0.9, 1.1), baselines: evaluation(0.8, 1.0))
        // a: +12.5% better; b: 10% worse → mean +1.25.
        #expect(Swift.abs(delta.improvement - 1.25) < 1e-9 && Swift.abs(delta.drop + 1.25) < 1e-9)
        #expect(Swift.abs(delta.perMetric["b.mae"]! + 10) < 1e-9)
    }
}

@Suite("Progress display")
struct ProgressTests {
    @Test func plainLogLinesAndEpochSummary() {
        var lines: [String] = []
        let printer = ProgressPrinter(isTerminal: false) { lines.append($0) }
        for step in 1...20 { printer.handle(.step(epoch: 0, epochs: 2, step: step, steps: 20, losses: ["b": 0.5, "a": 1.0])) }
        #expect(lines.count == 11)  // the first step, then one line per tenth of the epoch
        #expect(lines[0].hasPrefix("epoch 1/2 step 1/20 - steps/s") && lines[0].contains("a 1.0000  b 0.5000"))
        #expect(lines.last!.contains("step 20/20"))
        printer.handle(.epoch(EpochRecord(epoch: 1, step: 20, learningRate: 0.1, trainLoss: ["a": 0.9], weights: ["a": 1],
                                          validation: nil, selectionValue: nil, seconds: 1.5)))
        #expect(lines.last! == "epoch 1 done in 1.5s, train loss a 0.9000\n")
        // A resumed epoch starts its rate from the step it resumes at.
        lines = []
        for step in 15...20 { printer.handle(.step(epoch: 1, epochs: 2, step: step, steps: 20, losses: ["a": 1])) }
        #expect(lines.first!.hasPrefix("epoch 2/2 step 16/20"))
    }
}
