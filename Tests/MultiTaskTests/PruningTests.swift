import Data
import Foundation
@testable import MultiTask
import NN
import Tensors
import Testing

/// SNIP scores, DiSparse masks, calibration, masked training and mask similarity.
@Suite("Pruning")
struct PruningTests {
    /// A trunk of 4,608 prunable weights (8 → 64 → 64), so a sparsity is matched to 1/4608.
    static let spec = try! ModelSpec.parse(yaml: "name: wide\ninput: [8]\ntrunk: [{linear: {out: 64}}, tanh, {linear: {out: 64}}, tanh]\nheads: {}\n")

    func model(seed: UInt64 = 1) throws -> (MultiTaskModel, PreparedData) {
        let data = try smallData()
        return (try MultiTaskModel(spec: MultiTaskModel.spec(for: Self.spec, tasks: data.tasks), tasks: data.tasks, seed: seed), data)
    }

    /// ∂L(w ⊙ m)/∂m_j at m = 1 by central differences equals the SNIP score |g_j · w_j| (one batch,
    /// before normalisation), for a spread of weights of the trunk and a head.
    @Test func snipIsTheMaskGradient() throws {
        let (model, data) = try model()
        let batch = Array(DataLoader(data.train, batchSize: 32, shuffle: true, seed: 0))[0]
        let names = SNIPScores.prunable(model)
        let (_, gradients) = model.network.valuesAndGradients(of: names) { model.losses(batch) }
        let weights = model.network.parameters()
        var checked = 0
        for name in names {
            let w = weights[name]!.scalars
            for j in stride(from: 0, to: w.count, by: Swift.max(1, w.count / 5)) {
                let score = Swift.abs(Double(gradients[0][name]!.scalars[j]) * Double(w[j]))
                guard score > 1e-4 else { continue }
                func loss(_ m: Float) throws -> Double {
                    var scaled = w
                    scaled[j] *= m
                    return try model.network.withParameters(ParameterSet([(name, Tensor(shape: weights[name]!.shape, scalars: scaled))])) {
                        withoutGradients { Double(model.losses(batch)[0].scalar) }
                    }
                }
                let h: Float = 1e-2
                let numeric = Swift.abs((try loss(1 + h) - loss(1 - h)) / Double(2 * h))
                #expect(Swift.abs(numeric - score) <= 2e-3 * Swift.max(score, 1e-2), "\(name)[\(j)]: \(numeric) vs \(score)")
                checked += 1
            }
        }
        #expect(checked >= 5)
    }

    /// The calibration reaches the requested trunk sparsity within 0.1%, for every rule and scope;
    /// the same seed gives the same masks; heads keep their own task's mask.
    @Test(arguments: [PruningRequest.Rule.union, .intersection], [PruningRequest.Scope.global, .perLayer])
    func calibrationHitsTheTarget(rule: PruningRequest.Rule, scope: PruningRequest.Scope) throws {
        let (model, data) = try model()
        let (perTask, joint) = try SNIPScores.compute(model: model, data: data.train, batches: 3, batchSize: 32, seed: 0)
        for method in [PruningRequest.Method.disparseStatic, .snip] {
            for sparsity in [0.5, 0.7, 0.9] {
                var request = PruningRequest(method: method, sparsity: sparsity)
                (request.rule, request.scope) = (rule, scope)
                let made = try PruningMasks.make(request, model: model, perTask: perTask, joint: joint)
                let reached = PruningMasks.sparsity(made.masks, names: SNIPScores.trunk(model))
                #expect(Swift.abs(reached - sparsity) <= 0.001, "\(method) \(rule) \(scope) \(sparsity): \(reached)")
                #expect(made.masks.allSatisfy { $0.tensor.scalars.allSatisfy { $0 == 0 || $0 == 1 } })
            }
        }
        let again = try SNIPScores.compute(model: model, data: data.train, batches: 3, batchSize: 32, seed: 0)
        #expect(again.perTask == perTask && again.joint == joint)
        // Sparsity 0 keeps everything; 1 and beyond are refused.
        let dense = try PruningMasks.make(PruningRequest(method: .disparseStatic, sparsity: 0), model: model, perTask: perTask, joint: joint)
        #expect(dense.masks.allSatisfy { $0.tensor.scalars.allSatisfy { $0 == 1 } })
        #expect(throws: ConfigurationError.self) { try PruningMasks.make(PruningRequest(method: .disparseStatic, sparsity: 1), model: model, perTask: perTask, joint: joint) }
    }

    /// A layer the cut would empty keeps its best weight in each output row, never a cut network.
    @Test func noLayerIsEmptied() throws {
        let (model, data) = try model()
        var (perTask, joint) = try SNIPScores.compute(model: model, data: data.train, batches: 2, batchSize: 32, seed: 0)
        // A head whose every score is 0 but one: at high sparsity its task keeps none of it by rank.
        var scores = [Float](repeating: 0, count: perTask[0]["heads.task0.0.weight"]!.count)
        scores[5] = 1e-12
        perTask[0]["heads.task0.0.weight"] = Tensor(shape: perTask[0]["heads.task0.0.weight"]!.shape, scalars: scores)
        joint["heads.task0.0.weight"] = perTask[0]["heads.task0.0.weight"]!
        // Tasks whose per-layer masks share nothing: the intersection keeps one weight per row.
        var strict = PruningRequest(method: .disparseStatic, sparsity: 0.995)
        (strict.rule, strict.scope) = (.intersection, .perLayer)
        let intersected = try PruningMasks.make(strict, model: model, perTask: perTask, joint: joint)
        for name in SNIPScores.trunk(model) {
            #expect(intersected.masks[name]!.scalars.contains(1), "\(name) is not emptied")
        }
        for method in [PruningRequest.Method.disparseStatic, .snip] {
            let made = try PruningMasks.make(PruningRequest(method: method, sparsity: 0.97), model: model, perTask: perTask, joint: joint)
            #expect(made.masks["heads.task0.0.weight"]!.scalars == scores.indices.map { $0 == 5 ? 1 : 0 }, "\(method)")
            #expect(made.masks.allSatisfy { $0.tensor.scalars.contains(1) })
        }
    }

    /// Pruned weights stay exactly zero through 100+ Adam steps with weight decay, and after a
    /// stop and resume, which continues bit for bit.
    @Test func prunedWeightsStayZeroThroughTrainingAndResume() throws {
        let data = try smallData()
        var config = RunConfig()
        config.training = smallConfig(epochs: 5)
        config.training.optimizer.kind = "adamw"
        config.training.optimizer.momentum = 0
        config.training.optimizer.weightDecay = 0.1
        config.training.batchSize = 8  // 23 steps an epoch: 115 in all
        let prune = { (model: MultiTaskModel) in
            try PruningMasks.prune(PruningRequest(method: .disparseStatic, sparsity: 0.7), model: model, data: data.train, batchSize: 16, seed: 0)
        }
        let straight = temporaryDirectory(), stopped = temporaryDirectory()
        defer { for dir in [straight, stopped] { try? FileManager.default.removeItem(at: dir) } }
        _ = try Experiment.start(config, spec: Self.spec, data: data, directory: straight, prune: prune)
        var limited = config
        limited.training.maxSteps = 40
        _ = try Experiment.start(limited, spec: Self.spec, data: data, directory: stopped, prune: prune)
        let run = try RunDirectory.open(stopped)
        let trainer = try Trainer.resume(run: run, train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges())
        #expect(trainer.masks != nil)
        _ = try trainer.run()
        let masks = ParameterSet(try Safetensors.load(straight.appendingPathComponent("masks.safetensors")).tensors.map { ($0.name, $0.tensor) })
        for dir in [straight, stopped] {
            let weights = ParameterSet(try Safetensors.load(dir.appendingPathComponent("last.safetensors")).tensors.map { ($0.name, $0.tensor) })
            for (name, mask) in masks {
                #expect(zip(mask.scalars, weights[name]!.scalars).allSatisfy { $0 != 0 || $1 == 0 }, "\(name) in \(dir.lastPathComponent)")
                #expect(zip(mask.scalars, weights[name]!.scalars).contains { $0 != 0 && $1 != 0 }, "kept weights train")
            }
        }
        #expect(try Data(contentsOf: straight.appendingPathComponent("last.safetensors")) == Data(contentsOf: stopped.appendingPathComponent("last.safetensors")))
        // A masks file that changed is caught on resume.
        try Safetensors.write(Array(masks.map { Tensor.ones($0.shape) }), to: stopped.appendingPathComponent("masks.safetensors"))
        #expect(throws: RunDirectoryError.self) { _ = try Trainer.resume(run: try RunDirectory.open(stopped), train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges()) }
    }

    /// IoU of a mask with itself is 1 and with its complement 0; both empty is no measurement;
    /// Spearman of a vector with itself is 1, with its reverse −1.
    @Test func similarityMeasures() throws {
        let mask = Tensor([1, 0, 1, 1, 0]), complement = Tensor([0, 1, 0, 0, 1])
        #expect(MaskSimilarity.iou(mask, mask) == 1 && MaskSimilarity.iou(mask, complement) == 0)
        #expect(MaskSimilarity.iou(Tensor([0, 0]), Tensor([0, 0])).isNaN)
        let scores: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]
        #expect(Swift.abs(RankCorrelation.spearman(scores, scores) - 1) < 1e-12)
        #expect(Swift.abs(RankCorrelation.spearman(scores, scores.map { -$0 }) + 1) < 1e-12)
        let (model, data) = try model()
        let (perTask, _) = try SNIPScores.compute(model: model, data: data.train, batches: 2, batchSize: 32, seed: 0)
        let result = try MaskSimilarity.measure(tasks: model.tasks.map(\.name), perTask: perTask, trunk: SNIPScores.trunk(model), keep: 0.3)
        #expect(result.iou.values.indices.allSatisfy { result.iou.values[$0][$0] == 1 })
        #expect(result.iou.values == result.iou.transposed().values, "symmetric")
        #expect(throws: ConfigurationError.self) { try MaskSimilarity.measure(tasks: ["a"], perTask: [perTask[0]], trunk: SNIPScores.trunk(model), keep: 0.3) }
        // A task with no labels has no loss to score by: refused, not an arbitrary mask.
        var unlabelled = data.train
        unlabelled.labels["task0"] = Tensor([Float](repeating: .nan, count: unlabelled.count))
        #expect { _ = try SNIPScores.compute(model: model, data: unlabelled, batches: 1, batchSize: 32, seed: 0) } throws: { "\($0)".contains("no labels") }
    }

    /// Dynamic masks: they move during training (drop by magnitude, regrow by gradient), end at
    /// each layer's target density exactly, keep pruned weights at zero, and a stopped run resumes
    /// bit for bit, masks included.
    @Test func dynamicMasksMoveAndResumeExactly() throws {
        let data = try smallData()
        var config = RunConfig()
        config.training = smallConfig(epochs: 5)
        config.training.batchSize = 8  // 23 steps an epoch, 115 in all; updates every 5 until step 57
        var request = PruningRequest(method: .disparseDynamic, sparsity: 0.8)
        (request.updateEvery, request.endFraction) = (5, 0.5)
        let prune = { (model: MultiTaskModel) in try PruningMasks.prune(request, model: model, data: data.train, batchSize: 16, seed: 0) }
        let straight = temporaryDirectory(), stopped = temporaryDirectory()
        defer { for dir in [straight, stopped] { try? FileManager.default.removeItem(at: dir) } }
        let results = try Experiment.start(config, spec: Self.spec, data: data, directory: straight, prune: prune)
        #expect((results.bestEpoch ?? 0) >= 3, "the best epoch comes after the trim at step 57 (epochs end at 23, 46, 69...)")
        var limited = config
        limited.training.maxSteps = 31
        _ = try Experiment.start(limited, spec: Self.spec, data: data, directory: stopped, prune: prune)
        let trainer = try Trainer.resume(run: try RunDirectory.open(stopped), train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges())
        _ = try trainer.run()
        func load(_ url: URL) throws -> ParameterSet { ParameterSet(try Safetensors.load(url).tensors.map { ($0.name, $0.tensor) }) }
        let snapshot = { (dir: URL) throws -> URL in try RunDirectory.reading(dir).current()!.url }
        let initial = try load(straight.appendingPathComponent("masks.safetensors"))
        let final = try load(try snapshot(straight).appendingPathComponent("masks.safetensors"))
        #expect(try Data(contentsOf: try snapshot(straight).appendingPathComponent("masks.safetensors")) == Data(contentsOf: try snapshot(stopped).appendingPathComponent("masks.safetensors")))
        #expect(try Data(contentsOf: straight.appendingPathComponent("last.safetensors")) == Data(contentsOf: stopped.appendingPathComponent("last.safetensors")))
        #expect(final != initial, "the masks moved")
        let weights = try load(straight.appendingPathComponent("last.safetensors"))
        for (name, mask) in final {
            let target = Int((Double(initial[name]!.scalars.reduce(0, +)) / Double(mask.count) * Double(mask.count)).rounded())
            #expect(Int(mask.scalars.reduce(0, +)) == Swift.max(1, target), "\(name) ends at its density")
            #expect(zip(mask.scalars, weights[name]!.scalars).allSatisfy { $0 != 0 || $1 == 0 }, "\(name): pruned weights are zero")
        }
        // An end fraction of 1 still trims, at the last step.
        request.endFraction = 1
        let whole = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: whole) }
        _ = try Experiment.start(config, spec: Self.spec, data: data, directory: whole, prune: prune)
        let trimmed = try load(try snapshot(whole).appendingPathComponent("masks.safetensors"))
        let start = try load(whole.appendingPathComponent("masks.safetensors"))
        #expect(trimmed.allSatisfy { $0.tensor.scalars.reduce(0, +) == start[$0.name]!.scalars.reduce(0, +) })
    }
}
