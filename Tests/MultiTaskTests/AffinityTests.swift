import Data
import Foundation
import NN
import Testing
import TestSupport
import Tensors
@testable import MultiTask

/// The step hook and the affinity estimators: observers never change the run, the proposed
/// update is the real one, and each estimator matches an independent computation.
@Suite("Task affinity")
struct AffinityTests {
    /// A trunk with BatchNorm and dropout: state the lookahead must leave untouched.
    static let statefulSpec = try! ModelSpec.parse(yaml: """
        name: stateful
        input: [8]
        trunk: [{linear: {out: 16}}, {batchnorm1d: {}}, tanh, {dropout: {p: 0.2}}, {linear: {out: 12}}, relu]
        heads: {}
        """)

    private func config(_ optimizer: String, epochs: Int = 2) -> TrainingConfig {
        var config = smallConfig(epochs: epochs)
        config.optimizer.kind = optimizer
        if optimizer != "sgd" { (config.optimizer.momentum, config.optimizer.learningRate) = (0, 0.01) }
        config.optimizer.weightDecay = 1e-3
        return config
    }

    /// Estimators sampling every step (lookahead forwards, BatchNorm, dropout) change nothing but
    /// how the trunk's gradient is summed on the steps they sample: assembled from the per-task
    /// gradients, as the `sum` gradient method does. So the observed run equals the `sum` run bit
    /// for bit (the lookaheads leave weights, buffers, optimizer and generators alone), and the
    /// plain run to float rounding.
    @Test(arguments: ["sgd", "adam"])
    func observersChangeOnlyTheSummation(optimizer: String) throws {
        let data = try smallData(seed: 21)
        func train(observed: Bool, method: String? = nil) throws -> ParameterSet {
            let model = try MultiTaskModel(spec: Self.statefulSpec, tasks: data.tasks, seed: 4)
            var config = config(optimizer)
            config.gradientMethod = method
            let trainer = try Trainer(model: model, train: data.train, validation: data.validation, config: config)
            if observed {
                var every = TAGLookahead.Settings()
                every.every = 1
                trainer.observers = [TAGLookahead(tasks: data.taskNames, settings: every), GradientCosine(tasks: data.taskNames),
                                     FirstOrderLookahead(tasks: data.taskNames, settings: every)]
            }
            try trainer.run()
            return model.network.stateDict()
        }
        let observed = try train(observed: true), plain = try train(observed: false)
        #expect(observed == (try train(observed: false, method: "sum")))
        #expect(observed != plain, "the summation differs, so the runs should differ in their last bits")
        let difference = (observed - plain).norm / plain.norm
        #expect(difference < 1e-5, "relative difference \(difference)")
    }

    /// An observer that asks for no gradients (a lookahead alone) leaves the run bit-identical.
    @Test func lookaheadAloneNeverChangesTheRun() throws {
        final class Lookahead: TrainingObserver {
            var looked = 0
            func wantsTaskGradients(atStep index: Int) -> Bool { false }
            func beforeUpdate(_ step: TrainingStep) throws {
                _ = try step.losses(withShared: step.shared * 0.5)
                looked += 1
            }
        }
        let data = try smallData(seed: 23)
        func train(_ observer: Lookahead?) throws -> ParameterSet {
            let model = try MultiTaskModel(spec: Self.statefulSpec, tasks: data.tasks, seed: 6)
            let trainer = try Trainer(model: model, train: data.train, validation: nil, config: config("adam"))
            trainer.observers = observer.map { [$0] } ?? []
            try trainer.run()
            return model.network.stateDict()
        }
        let observer = Lookahead()
        #expect(try train(observer) == train(nil))
        #expect(observer.looked == 12)
    }

    /// With learned loss weights (uncertainty weighting: ∂objective/∂Lₜ = exp(−sₜ) ≠ 1), the
    /// trunk gradient assembled from the per-task gradients still follows the plain run.
    @Test func assembledGradientUsesTheLossWeights() throws {
        let data = try smallData(seed: 24)
        func train(observed: Bool) throws -> ParameterSet {
            let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 7)
            var config = config("adam")
            config.weighting = "uw"
            let trainer = try Trainer(model: model, train: data.train, validation: nil, config: config)
            if observed { trainer.observers = [GradientCosine(tasks: data.taskNames)] }
            try trainer.run()
            return model.network.stateDict()
        }
        let observed = try train(observed: true), plain = try train(observed: false)
        let difference = (observed - plain).norm / plain.norm
        #expect(difference < 1e-5, "relative difference \(difference)")
    }

    /// `proposedUpdate` of the step's whole shared gradient is the update the optimizer then
    /// makes (SGD with momentum and Nesterov, Adam, AdamW; weight decay on).
    @Test(arguments: ["sgd", "adam", "adamw"])
    func proposedUpdateIsTheRealStep(optimizer: String) throws {
        final class Check: TrainingObserver {
            var predicted: ParameterSet?, worst = 0.0, checked = 0
            let network: SharedTrunkNetwork
            init(_ network: SharedTrunkNetwork) { self.network = network }
            func wantsTaskGradients(atStep index: Int) -> Bool { true }
            func beforeUpdate(_ step: TrainingStep) throws {
                let total = step.taskGradients!.dropFirst().reduce(step.taskGradients![0], +)
                predicted = step.shared - step.proposedUpdate(total)
            }
            func afterUpdate(_ step: TrainingStep) throws {
                let actual = network.trunkParameters()
                worst = Swift.max(worst, (actual - predicted!).norm / (actual - step.shared).norm)
                checked += 1
            }
        }
        let data = try smallData(seed: 22)
        var config = config(optimizer)
        if optimizer == "sgd" { config.optimizer.nesterov = true }
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 5)
        let trainer = try Trainer(model: model, train: data.train, validation: nil, config: config)
        let check = Check(model.network)
        trainer.observers = [check]
        try trainer.run()
        // The trunk's training gradient is the sum of the per-task gradients, so only the optimizer's
        // own arithmetic separates the prediction from the step.
        #expect(check.checked == 12 && check.worst < 1e-6, "worst relative difference \(check.worst)")
    }

    /// TAG's Z, first-order Z and cosines at step 0 of plain SGD, against a computation that shares
    /// no code with the estimators: θ − lr·gᵢ evaluated on a copy of the network.
    @Test func estimatorsMatchAnIndependentComputation() throws {
        let data = try smallData(seed: 23)
        var config = smallConfig(epochs: 1)
        (config.optimizer.momentum, config.optimizer.learningRate, config.maxSteps, config.shuffle) = (0, 0.1, 1, false)
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 6)
        let reference = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 6)
        let trainer = try Trainer(model: model, train: data.train, validation: nil, config: config)
        let tag = TAGLookahead(tasks: data.taskNames), firstOrder = FirstOrderLookahead(tasks: data.taskNames), cosine = GradientCosine(tasks: data.taskNames)
        trainer.observers = [tag, firstOrder, cosine]
        try trainer.run()

        var batches = DataLoader(data.train, batchSize: 32, shuffle: false, seed: 0).makeIterator()
        let first = batches.next()
        let batch = try #require(first)
        let trunk = reference.network.trunkParameters().names
        let (losses, gradients) = reference.network.valuesAndGradients(of: trunk) { reference.losses(batch) }
        let before = losses.map { Double($0.scalar) }
        let original = reference.network.trunkParameters()
        for i in 0..<3 {
            try reference.network.update(parameters: original - gradients[i] * 0.1)
            let after = withoutGradients { reference.losses(batch).map { Double($0.scalar) } }
            try reference.network.update(parameters: original)
            for j in 0..<3 {
                let z = 1 - after[j] / before[j]
                // Z is one minus a ratio of nearby losses: compare absolutely. Both sides evaluate
                // the same float32 network; the gradients differ by summation order only.
                #expect(Swift.abs(tag.matrix().values[i][j] - z) < 1e-5, "tag \(i)→\(j)")
                let first = (gradients[i] * 0.1).dot(gradients[j]) / before[j]
                #expect(Swift.abs(firstOrder.matrix().values[i][j] - first) < 1e-5 * Swift.max(1, Swift.abs(first)), "first-order \(i)→\(j)")
                #expect(Swift.abs(cosine.matrix().values[i][j] - gradients[i].cosine(gradients[j])) < 1e-6, "cosine \(i)↔\(j)")
            }
        }
        #expect(tag.matrix().steps == [0] && cosine.matrix().values[1][1] == 1)
    }

    /// The first-order estimate approaches TAG's exact lookahead as the step shrinks.
    @Test func firstOrderApproachesTheLookahead() throws {
        let data = try smallData(seed: 24)
        var config = smallConfig(epochs: 1)
        (config.optimizer.momentum, config.optimizer.learningRate) = (0, 1e-3)
        let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 7), train: data.train, validation: nil, config: config)
        var every = TAGLookahead.Settings()
        every.every = 2
        let tag = TAGLookahead(tasks: data.taskNames, settings: every), firstOrder = FirstOrderLookahead(tasks: data.taskNames, settings: every)
        trainer.observers = [tag, firstOrder]
        try trainer.run()
        let exact = tag.matrix().values.flatMap { $0 }, approximate = firstOrder.matrix().values.flatMap { $0 }
        let scale = exact.map(Swift.abs).max()!
        #expect(zip(exact, approximate).allSatisfy { Swift.abs($0 - $1) < 0.02 * scale }, "\(exact) vs \(approximate)")
        #expect(tag.matrix().steps == [0, 2, 4])
    }

    /// Orientation, files and the published TAG matrices (onto row from column).
    @Test func matricesReadAndWriteBothOrientations() throws {
        let matrix = AffinityMatrix(tasks: ["a", "b", "c"], values: [[1, 0.5, -0.25], [0.1, 1, 0], [2, 3, 1]], method: "tag")
        #expect(matrix.value(from: "a", to: "b") == 0.5 && matrix.transposed().value(from: "a", to: "b") == 0.5)
        #expect(matrix.transposed().values[1][0] == 0.5 && matrix.transposed().transposed() == matrix)
        let parsed = try AffinityMatrix.parse(csv: matrix.transposed().csv, method: "tag", source: "m.csv")
        #expect(parsed.values == matrix.transposed().values && parsed.orientation == .targetFromSource)
        #expect { try AffinityMatrix.parse(csv: "a,b\nb,1\n", method: "x", source: "m.csv") } throws: { "\($0)".contains("first header cell must be 'source\\target'") }
        #expect { try AffinityMatrix.parse(csv: "source\\target,a,b\na,1,x\nb,1,1\n", method: "x", source: "m.csv") } throws: { "\($0)".contains("line 2, column 3: 'x' is not a number") }
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try matrix.writeJSON(to: dir.appendingPathComponent("a.json"))
        #expect(try AffinityMatrix.readJSON(from: dir.appendingPathComponent("a.json")) == matrix)

        // TAG's published Taskonomy matrix: M[a][b] = affinity onto a from b.
        let published = try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: PublishedFixtures.file("tag/matrices.json"))) as! [String: [String: [String: Double]]]
        let table = published["taskonomy_tag"]!
        let tasks = table.keys.sorted()
        let onto = AffinityMatrix(tasks: tasks, values: tasks.map { a in tasks.map { b in table[a]![b]! } }, method: "tag", orientation: .targetFromSource)
        #expect(onto.value(from: "depth_l", to: "ss_l") == table["ss_l"]!["depth_l"] && onto.transposed().value(from: "depth_l", to: "ss_l") == table["ss_l"]!["depth_l"])
    }
}

extension PreparedData {
    var taskNames: [String] { tasks.map(\.name) }
}

/// On the `synthetic` suite, whose tasks' relatedness is known exactly (the cosine between their
/// generating weight vectors), every estimator's pairwise scores rank the pairs as the truth does.
@Suite("Task affinity on known relatedness")
struct AffinityRelatednessTests {
    /// Spearman's rank correlation (ties share their average rank).
    private func spearman(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ x: [Double]) -> [Double] {
            x.map { v in Double(x.filter { $0 < v }.count) + Double(x.filter { $0 == v }.count - 1) / 2 }
        }
        let (ra, rb) = (ranks(a), ranks(b))
        let (ma, mb) = (ra.reduce(0, +) / Double(a.count), rb.reduce(0, +) / Double(b.count))
        let cov = zip(ra, rb).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
        let va = ra.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }, vb = rb.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
        return cov / (va * vb).squareRoot()
    }

    /// Six epochs: in the first ones the heads are still random, so each task's gradient reaches
    /// the trunk through a different random projection and the ranking is noisy (Spearman 0.1-0.7
    /// after two epochs); once the heads fit, the pairs order as the truth (0.88 for TAG, 0.96 for
    /// first order and cosine, 0.84 for the Fisher embedding of the trained trunk, here).
    @Test func estimatorsRankPairsAsTheTruthDoes() throws {
        let config = SyntheticConfig(features: 16, trainExamples: 1200, testExamples: 100, angles: [0, 20, 45, 70, 90], noise: 0.1, seed: 5)
        let (train, truth) = TaskSuite.synthetic(config, split: .train)
        let (test, _) = TaskSuite.synthetic(config, split: .test)
        let data = try PreparedData(train: train, test: test, validationFraction: 0, seed: 0)
        let spec = try ModelSpec.parse(yaml: "name: probe\ninput: [16]\ntrunk: [{linear: {out: 32}}, tanh]\nheads: {}\n")
        var training = TrainingConfig()
        (training.epochs, training.batchSize, training.optimizer.kind, training.optimizer.learningRate) = (6, 32, "sgd", 0.1)
        let trainer = try Trainer(model: try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 1), train: data.train, validation: nil, config: training)
        var every = TAGLookahead.Settings()
        every.every = 5
        var fisher = FisherEmbedding.Settings()
        fisher.examples = 300
        let estimators: [any AffinityEstimator] = [TAGLookahead(tasks: data.taskNames, settings: every), FirstOrderLookahead(tasks: data.taskNames, settings: every),
                                                   GradientCosine(tasks: data.taskNames), FisherAffinity(tasks: data.taskNames, settings: fisher)]
        trainer.observers = estimators
        try trainer.run()
        let pairs = (0..<5).flatMap { i in (0..<5).compactMap { j in j > i ? (i, j) : nil } }
        let truePairs = pairs.map { (truth[$0.0][$0.1] * 1e6).rounded() / 1e6 }  // orthogonal pairs are exactly tied
        for estimator in estimators {
            let m = estimator.matrix().values
            let scores = pairs.map { (m[$0.0][$0.1] + m[$0.1][$0.0]) / 2 }  // both directions
            let rho = spearman(scores, truePairs)
            #expect(rho > 0.8, "\(estimator.matrix().method): Spearman \(rho), scores \(scores) against \(truePairs)")
        }
    }
}

/// TAG's higher-order form: a group of one is the pairwise lookahead, and a group's update is
/// the optimizer's for the summed gradient.
@Suite("TAG group lookahead")
struct TAGGroupTests {
    @Test func singletonGroupsEqualThePairwiseLookaheadAndGroupsAreChecked() throws {
        let data = try smallData(seed: 25)
        var config = smallConfig(epochs: 1)
        config.optimizer.momentum = 0.9
        let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 8), train: data.train, validation: nil, config: config)
        let names = data.taskNames
        let pairwise = TAGLookahead(tasks: names)
        let groups = try TAGGroupLookahead(tasks: names, groups: [[names[0]], [names[1]], [names[2]], [names[0], names[2]]])
        trainer.observers = [pairwise, groups]
        try trainer.run()
        let v = groups.values(), z = pairwise.matrix().values
        for i in 0..<3 { #expect(v[i] == z[i], "group of \(names[i]) alone") }
        #expect(v[3].allSatisfy(\.isFinite) && v[3] != v[0] && groups.memberScores().count == 4)
        #expect { try TAGGroupLookahead(tasks: names, groups: [["task0", "nope"]]) } throws: { "\($0)".contains("unknown task 'nope'") }
        #expect { try TAGGroupLookahead(tasks: names, groups: [[]]) } throws: { "\($0)".contains("non-empty") }
    }
}

/// Task2Vec's Fisher embedding: the empirical diagonal Fisher is the mean of squared per-example
/// gradients of the log-likelihood, and the normalised cosine is 1 for the same pattern and 0 for
/// disjoint ones.
@Suite("Fisher task embedding")
struct FisherEmbeddingTests {
    @Test func empiricalFisherIsTheMeanSquaredPerExampleGradient() throws {
        let data = try smallData(seed: 26, examples: 40)
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 9)
        var settings = FisherEmbedding.Settings()
        (settings.examples, settings.empirical) = (data.train.count, true)
        let fishers = try FisherEmbedding.diagonals(model: model, data: data.train, settings: settings)
        model.network.eval()
        let trunk = model.network.trunkParameters().names
        var expected = data.tasks.map { _ in model.network.trunkParameters().map { Tensor.zeros($0.shape) } }
        for batch in DataLoader(data.train, batchSize: 1, shuffle: false, seed: 0) {
            let (_, gradients) = model.network.valuesAndGradients(of: trunk) { model.losses(batch) }
            for k in expected.indices { expected[k] = expected[k] + gradients[k].map { $0 * $0 } }
        }
        for (k, task) in data.tasks.enumerated() {
            // The binary task's loss is −log p; a regression task's, (y − ŷ)², is −2 log p of a
            // unit Gaussian, so its squared gradient is 4 times the Fisher's.
            let mean = expected[k] * Float((task.kind == .regression ? 0.25 : 1) / Double(data.train.count))
            #expect((fishers[k] - mean).norm <= 1e-5 * mean.norm, "task \(k)")
        }
        let a = ParameterSet([("w", Tensor([1, 2, 0, 0]))]), b = ParameterSet([("w", Tensor([0, 0, 3, 4]))])
        #expect(FisherEmbedding.similarity(a, a) == 1 && FisherEmbedding.similarity(a, b) == 0)
        #expect(Swift.abs(FisherEmbedding.similarity(a, a * 10) - 1) < 1e-12)  // scale-free per coordinate pair
    }

    /// Task2Vec's embedding: one mean per filter (row of a weight matrix, output channel of a
    /// convolution); vectors stay as they are.
    @Test func filterMeansAverageEachFiltersWeights() {
        let fisher = ParameterSet([("w", Tensor(shape: [2, 3], scalars: [1, 2, 3, 10, 20, 30])), ("b", Tensor([5, 6])),
                                   ("conv", Tensor(shape: [2, 1, 2, 1], scalars: [1, 3, 0, 4]))])
        let means = FisherEmbedding.filterMeans(fisher)
        #expect(means["w"]!.scalars == [2, 20] && means["b"]!.scalars == [5, 6] && means["conv"]!.scalars == [2, 2])
    }

    /// The refitted probe keeps the trained trunk and leaves the model alone; its heads, fitted on
    /// the frozen trunk from a fresh start, fit the examples better than that start.
    @Test func probeRefitsTheHeadsOnTheFrozenTrunk() throws {
        let data = try smallData(seed: 27, examples: 60)
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 10)
        let before = model.network.stateDict()
        var settings = FisherEmbedding.Settings()
        (settings.headSteps, settings.seed) = (200, 3)
        let probe = try FisherEmbedding.probe(model, data: data.train, settings: settings)
        #expect(model.network.stateDict() == before)
        #expect(probe.network.trunkParameters() == model.network.trunkParameters())
        let fresh = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 3)
        try fresh.network.update(parameters: model.network.trunkParameters())
        let fitted = probe.evaluate(data.train), start = fresh.evaluate(data.train)
        for task in data.taskNames { #expect(fitted[task]!.loss < 0.9 * start[task]!.loss, "\(task): \(fitted[task]!.loss) from \(start[task]!.loss)") }
        settings.headSteps = -1
        #expect { try FisherEmbedding.diagonals(model: model, data: data.train, settings: settings) } throws: { "\($0)".contains("head steps") }
    }
}
