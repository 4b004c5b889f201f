import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct SyntheticTests {
    @Test func defaultsAndShapes() {
        let config = SyntheticConfig()
        #expect(config.features == 32 && config.trainExamples == 4000 && config.testExamples == 1000)
        let (train, _) = TaskSuite.synthetic(config, split: .train)
        let (test, _) = TaskSuite.synthetic(config, split: .test)
        #expect(train.inputs.shape == [4000, 32])
        #expect(test.inputs.shape == [1000, 32])
        #expect(train.taskNames == (0..<6).map { "task\($0)" })
        #expect(train.tasks.allSatisfy { $0.kind == .regression })
        #expect(train.name == "synthetic/train")
    }

    @Test func relatednessMatchesTheGeneratedWeightsAndTheClosedForm() {
        let configs = [
            SyntheticConfig(seed: 4),
            SyntheticConfig(features: 8, angles: [10, 50, 80, 30], groups: [7, 7, 2, 2], seed: 9),
            SyntheticConfig.equallyRelated(tasks: 5, relatedness: 0.3, seed: 2),
        ]
        for config in configs {
            let weights = TaskSuite.syntheticWeights(config)
            let (_, relatedness) = TaskSuite.synthetic(config, split: .test)
            let expected = config.expectedRelatedness
            for s in weights.indices {
                for t in weights.indices {
                    let dot = zip(weights[s], weights[t]).reduce(0) { $0 + $1.0 * $1.1 }
                    #expect(abs(relatedness[s][t] - dot) < 1e-12)
                    #expect(abs(relatedness[s][t] - expected[s][t]) < 1e-9)
                }
            }
        }
        let grouped = SyntheticConfig(features: 8, angles: [10, 50, 80, 30], groups: [7, 7, 2, 2]).expectedRelatedness
        #expect(abs(grouped[0][1] - cos(40 * Double.pi / 180)) < 1e-12)
        #expect(abs(grouped[0][2] - cos(10 * Double.pi / 180) * cos(80 * Double.pi / 180)) < 1e-12)
        let equal = SyntheticConfig.equallyRelated(tasks: 3, relatedness: 0.3).expectedRelatedness
        #expect(abs(equal[0][2] - 0.3) < 1e-12 && abs(equal[1][1] - 1) < 1e-12)
    }

    @Test func directionsAreOrthonormal() {
        let basis = TaskSuite.orthonormalDirections(count: 7, dimension: 7, seed: 3)
        for i in 0..<7 {
            for j in 0..<7 {
                let dot = zip(basis[i], basis[j]).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func noiselessLabelsAreTheProjectionsForBothSplits() {
        let config = SyntheticConfig(features: 6, trainExamples: 50, testExamples: 20, angles: [20, 70], noise: 0, seed: 8)
        let weights = TaskSuite.syntheticWeights(config)
        for split in FashionMNIST.Split.allCases {
            let (ds, _) = TaskSuite.synthetic(config, split: split)
            let x = ds.inputs.scalars
            for t in 0..<2 {
                let y = ds.labels["task\(t)"]!.scalars
                for n in 0..<ds.count {
                    let score = (0..<6).reduce(0.0) { $0 + weights[t][$1] * Double(x[n * 6 + $1]) }
                    #expect(abs(Double(y[n]) - score) < 1e-5)
                }
            }
        }
        let train = TaskSuite.synthetic(config, split: .train).dataset
        let test = TaskSuite.synthetic(config, split: .test).dataset
        #expect(Array(train.inputs.scalars.prefix(120)) != test.inputs.scalars)
    }

    @Test func relatedTasksCorrelateMoreThanUnrelatedOnes() {
        let (ds, relatedness) = TaskSuite.synthetic(SyntheticConfig(seed: 1), split: .train)
        let y = (0..<6).map { ds.labels["task\($0)"]!.scalars }
        let close = correlation(y[0], y[1])
        let far = correlation(y[0], y[4])
        let unrelated = correlation(y[0], y[5])
        #expect(abs(close - relatedness[0][1] / 1.01) < 0.02)
        #expect(close > far + 0.3)
        #expect(far > abs(unrelated) + 0.3)
        #expect(abs(unrelated) < 0.06)
    }

    @Test func binaryTasksAgreeByRelatedness() {
        let config = SyntheticConfig(angles: [0, 10, 90], kinds: [.binary, .binary, .binary], seed: 5)
        let (ds, _) = TaskSuite.synthetic(config, split: .train)
        #expect(ds.tasks.allSatisfy { $0.kind == .binary })
        let y = (0..<3).map { ds.labels["task\($0)"]!.scalars }
        #expect(y.allSatisfy { $0.allSatisfy { $0 == 0 || $0 == 1 } })
        let positives = y[0].filter { $0 == 1 }.count
        #expect(positives > 1800 && positives < 2200)
        let agreeClose = zip(y[0], y[1]).filter { $0 == $1 }.count
        let agreeFar = zip(y[0], y[2]).filter { $0 == $1 }.count
        #expect(agreeClose > 3600)
        #expect(agreeFar > 1800 && agreeFar < 2200)
    }

    @Test func deterministicFromTheSeed() {
        let a = TaskSuite.synthetic(SyntheticConfig(seed: 3), split: .test).dataset
        let b = TaskSuite.synthetic(SyntheticConfig(seed: 3), split: .test).dataset
        let c = TaskSuite.synthetic(SyntheticConfig(seed: 4), split: .test).dataset
        #expect(a.inputs == b.inputs && a.labels == b.labels)
        #expect(a.inputs != c.inputs)
    }

    @Test func configRoundTripsThroughJSON() throws {
        let config = SyntheticConfig(features: 5, angles: [1, 2], groups: [0, 0], noise: 0.5, kinds: [.binary, .regression], seed: 12)
        #expect(try JSONDecoder().decode(SyntheticConfig.self, from: JSONEncoder().encode(config)) == config)
        #expect(config.taskCount == 2)
    }
}
