import Data
import Foundation
import NN
import Tensors
@testable import MultiTask

/// A small tabular problem: two regression tasks and a binary one on 8 features.
func smallData(seed: UInt64 = 0, examples: Int = 240) throws -> PreparedData {
    let config = SyntheticConfig(features: 8, trainExamples: examples, testExamples: 80, angles: [0, 30, 90], noise: 0.1,
                                 kinds: [.regression, .regression, .binary], seed: seed)
    let (train, _) = TaskSuite.synthetic(config, split: .train)
    let (test, _) = TaskSuite.synthetic(config, split: .test)
    var data = try PreparedData(train: train, test: test, validationFraction: 0.25, seed: seed)
    data.train.name = "small"
    return data
}

/// A small tabular trunk (inputs [8]); heads come from the tasks.
let smallSpec = try! ModelSpec.parse(yaml: """
    name: small
    input: [8]
    trunk: [{linear: {out: 16}}, tanh]
    heads:
      task0: [{linear: {out: 1}}]
    """)

func smallConfig(epochs: Int = 3) -> TrainingConfig {
    var config = TrainingConfig()
    config.epochs = epochs
    config.batchSize = 32
    config.optimizer.kind = "sgd"
    config.optimizer.learningRate = 0.05
    config.optimizer.momentum = 0.9
    return config
}

func temporaryDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("mtk-tests-\(UUID().uuidString)")
}
