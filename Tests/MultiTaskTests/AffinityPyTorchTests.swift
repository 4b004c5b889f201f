import Data
import Foundation
import NN
import Testing
import Tensors
import TestSupport
@testable import MultiTask

/// TAG, first-order and cosine affinities against PyTorch (scripts/pytorch_affinity_reference.py):
/// both reference models, from their initial weights on the fixture batch, after the optimizer's
/// own steps have filled its state (none for plain SGD, one for SGD with momentum, two for Adam).
@Suite("Task affinity against PyTorch")
struct AffinityPyTorchTests {
    @Test(arguments: ["mlp", "cnn"], ["sgd_plain", "sgd", "adam"])
    func matchesPyTorch(model name: String, optimizer: String) throws {
        let reference = try PyTorchFixtures.load("\(name)_affinity_\(optimizer)")
        let batch = try PyTorchFixtures.load("\(name)_batch")
        let taskNames = name == "mlp" ? ["class", "parity"] : ["class", "footwear", "upper"]
        let tasks = taskNames.map { TaskSpec(name: $0, kind: .multiclass(classes: $0 == "class" ? 10 : 2)) }
        let x = batch["x"]!
        let dataset = try Dataset(name: "\(name)-batch", inputs: x, tasks: tasks.map { TaskInfo(name: $0.name, kind: $0.kind, summary: "") },
                                  labels: Dictionary(uniqueKeysWithValues: taskNames.map { ($0, batch["y.\($0)"]!) }))
        let model = try MultiTaskModel(spec: name == "mlp" ? .referenceMLP : .referenceCNN, tasks: tasks, seed: 0)
        try model.network.load(stateDict: try PyTorchFixtures.load("\(name)_init"))
        var config = TrainingConfig()
        (config.epochs, config.batchSize, config.shuffle, config.threads) = (100, x.shape[0], false, 1)
        config.weighting = name == "mlp" ? "static:1,0.5" : "equal"
        let pre: Int
        switch optimizer {
        case "sgd_plain": (config.optimizer.kind, config.optimizer.learningRate, pre) = ("sgd", 0.1, 0)
        case "sgd": (config.optimizer.kind, config.optimizer.learningRate, config.optimizer.momentum, config.optimizer.nesterov, config.optimizer.weightDecay, pre) = ("sgd", 0.05, 0.9, true, 1e-3, 1)
        default: (config.optimizer.kind, config.optimizer.learningRate, config.optimizer.weightDecay, pre) = ("adam", 1e-3, 1e-3, 2)
        }
        config.maxSteps = pre + 1
        let trainer = try Trainer(model: model, train: dataset, validation: nil, config: config)
        var every = TAGLookahead.Settings()
        every.every = 1
        let tag = TAGLookahead(tasks: taskNames, settings: every), firstOrder = FirstOrderLookahead(tasks: taskNames, settings: every)
        let cosine = GradientCosine(tasks: taskNames)
        final class AtStep: TrainingObserver {  // the estimators see step `pre` only, after the real steps before it
            let inner: [any TrainingObserver], step: Int
            init(_ inner: [any TrainingObserver], step: Int) { (self.inner, self.step) = (inner, step) }
            func wantsTaskGradients(atStep index: Int) -> Bool { index == step }
            func beforeUpdate(_ s: TrainingStep) throws { if s.index == step { for o in inner { try o.beforeUpdate(s) } } }
        }
        trainer.observers = [AtStep([tag, firstOrder, cosine], step: pre)]
        try trainer.run()

        let z = tag.matrix().values, first = firstOrder.matrix().values, cos = cosine.matrix().values
        let n = taskNames.count
        func value(_ key: String, _ i: Int, _ j: Int) -> Double { Double(reference[key]!.scalars[i * n + j]) }
        for i in 0..<n {
            for j in 0..<n {
                // Z is one minus a ratio of nearby losses (≈ 0.01-2 here): float32 evaluates each loss to
                // about 1e-7 relative, and PyTorch's own Z is within 2.3e-7 of its float64 shadow. Ours
                // differs from the shadow by its own rounding of the same kind: bound 2e-6, absolute.
                #expect(Swift.abs(z[i][j] - value("Z64", i, j)) < 2e-6, "\(name) \(optimizer) Z \(i)→\(j): \(z[i][j]) vs \(value("Z64", i, j))")
                // First order: a dot product of two float32 gradients over up to 420k weights, so a
                // relative bound (1e-4 of its size, or 1e-7 absolute near 0).
                let f = value("first64", i, j)
                #expect(Swift.abs(first[i][j] - f) < 1e-4 * Swift.abs(f) + 1e-7, "\(name) \(optimizer) first \(i)→\(j): \(first[i][j]) vs \(f)")
                #expect(Swift.abs(cos[i][j] - value("cos", i, j)) < 1e-5, "\(name) \(optimizer) cos \(i)↔\(j)")
            }
        }
    }
}
