import Data
import Foundation
import NN
import Testing
import Tensors
@testable import MultiTask

@Suite("Trainer", .serialized)
struct TrainerTests {
    @Test func trainsSelectsOnValidationAndWritesTheRunDirectory() throws {
        let data = try smallData()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 1)
        #expect(model.network.tasks == ["task0", "task1", "task2"] && model.spec.heads[2].layers == [.linear(in: nil, out: 2, bias: true)])
        let before = model.evaluate(data.validation!)
        let trainer = try Trainer(model: model, train: data.train, validation: data.validation, config: smallConfig(epochs: 4), directory: dir)
        let summary = try trainer.run()
        #expect(summary.epochs == 4 && summary.history.count == 4 && summary.bestEpoch != nil)
        let after = model.evaluate(data.validation!)
        #expect(after.totalLoss < 0.5 * before.totalLoss)
        #expect(summary.bestValue == summary.history.compactMap(\.selectionValue).min())
        let run = try RunDirectory.reading(dir)
        let snapshot = try #require(try run.current())
        for file in [run.config, run.spec, run.pointer, run.lastModel, run.bestModel, run.metrics,
                     snapshot.stateFile, snapshot.optimizerFile, snapshot.modelFile, snapshot.bestFile, snapshot.metricsFile] {
            #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent)")
        }
        let lines = try String(contentsOf: run.metrics, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4 && lines[0].contains("\"epoch\":1"))
        // The best checkpoint holds the selected epoch's weights.
        try trainer.loadBest()
        let reloaded = model.evaluate(data.validation!).totalLoss
        #expect(Swift.abs(reloaded - summary.bestValue!) < 1e-9)
    }

    /// Stops mid-epoch (step 8) and at an epoch's last step (6), where the epoch's record is
    /// written only after the resume: the weights and every record equal the straight run's.
    @Test("resume after a step-limit stop is bit-exact", arguments: ["equal", "uw", "dwa", "rlw"], [6, 8])
    func resumeIsExact(weighting: String, stop: Int) throws {
        let data = try smallData(seed: 3)
        var config = smallConfig(epochs: 3)
        config.weighting = weighting
        config.optimizer.kind = "adam"
        config.optimizer.momentum = 0
        config.optimizer.learningRate = 0.01
        let straightDir = temporaryDirectory(), resumedDir = temporaryDirectory()
        defer { for d in [straightDir, resumedDir] { try? FileManager.default.removeItem(at: d) } }
        let straight = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 5), train: data.train,
                                   validation: data.validation, config: config, directory: straightDir)
        try straight.run()
        var limited = config
        limited.maxSteps = stop  // 6 steps per epoch
        do {  // the first trainer holds the directory's lock until it goes
            let first = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 5), train: data.train,
                                    validation: data.validation, config: limited, directory: resumedDir)
            let outcome = try first.run()
            #expect(outcome.stoppedAtStepLimit && outcome.steps == stop)
        }
        // Resume: the step limit is not carried over.
        let resumed = try Trainer.resume(directory: resumedDir, train: data.train, validation: data.validation, tasks: data.tasks)
        try resumed.run()
        #expect(resumed.model.network.stateDict() == straight.model.network.stateDict())
        func timeless(_ history: [EpochRecord]) -> [EpochRecord] { history.map { var record = $0; (record.seconds, record.cpuSeconds) = (0, nil); return record } }
        #expect(timeless(resumed.state.history) == timeless(straight.state.history))
    }

    /// A validation split of a handful of examples is said to be noise, once per task, before training.
    @Test func tinyValidationIsNoted() throws {
        let data = try smallData(seed: 4, examples: 24)  // 6 held out for validation
        let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 5), train: data.train, validation: data.validation, config: smallConfig(epochs: 1))
        var notes: [String] = []
        trainer.onEvent = { if case .note(let text) = $0 { notes.append(text) } }
        try trainer.run()
        #expect(notes.filter { $0.hasPrefix("validation holds 6 labelled examples of task") }.count == data.tasks.count, "\(notes)")
        let roomy = try smallData(seed: 4, examples: 240)
        let quiet = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: roomy.tasks, seed: 5), train: roomy.train, validation: roomy.validation, config: smallConfig(epochs: 1))
        var none: [String] = []
        quiet.onEvent = { if case .note(let text) = $0 { none.append(text) } }
        try quiet.run()
        #expect(none.isEmpty, "\(none)")
    }

    @Test func interruptSavesAResumableCheckpoint() throws {
        let data = try smallData(seed: 4)
        let config = smallConfig(epochs: 2)
        let straight = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 6), train: data.train, validation: data.validation, config: config)
        try straight.run()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let interrupted = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 6), train: data.train,
                                          validation: data.validation, config: config, directory: dir)
            var steps = 0
            interrupted.shouldStop = { steps += 1; return steps == 3 }
            let summary = try interrupted.run()
            #expect(summary.interrupted && summary.resumable && summary.steps == 3)
        }
        let resumed = try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks)
        try resumed.run()
        #expect(resumed.model.network.stateDict() == straight.model.network.stateDict())
    }

    @Test func earlyStoppingAndNonFiniteLoss() throws {
        let data = try smallData()
        var config = smallConfig(epochs: 30)
        config.optimizer.learningRate = 0  // nothing improves after the first epoch
        config.patience = 2
        let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 1), train: data.train,
                                  validation: data.validation, config: config)
        let summary = try trainer.run()
        #expect(summary.stoppedEarly && summary.epochs == 3)

        var broken = data.train
        broken.labels["task0"] = Tensor(broken.labels["task0"]!.scalars.map { _ in Float.infinity })
        let failing = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 1), train: broken,
                                  validation: nil, config: smallConfig())
        #expect(throws: TrainingError.nonFiniteLoss(task: "task0", epoch: 1, step: 1, value: .infinity)) { try failing.run() }
    }

    @Test func gradientMethodHookMatchesEqualWeighting() throws {
        let data = try smallData()
        let config = smallConfig(epochs: 1)
        let plain = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 2), train: data.train, validation: nil, config: config)
        try plain.run()
        let hooked = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 2), train: data.train, validation: nil, config: config)
        hooked.gradientMethod = GradientSum()
        try hooked.run()
        let a = plain.model.network.parameters(), b = hooked.model.network.parameters()
        #expect((a - b).norm / a.norm < 1e-5)
    }

    @Test func configurationErrorsNameTheField() throws {
        let data = try smallData()
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        var config = smallConfig()
        config.selection = "nosuch.accuracy"
        #expect(throws: ConfigurationError.self) { try Trainer(model: model, train: data.train, validation: nil, config: config) }
        config = smallConfig()
        config.optimizer.kind = "lion"
        #expect { try Trainer(model: model, train: data.train, validation: nil, config: config) } throws: { "\($0)".contains("lion") }
        var wide = smallSpec
        wide.input = [2, 4]
        wide.trunk = [.flatten] + smallSpec.trunk
        #expect { try Trainer(model: try MultiTaskModel(spec: wide, tasks: data.tasks, seed: 0), train: data.train, validation: nil, config: smallConfig()) }
            throws: { "\($0)".contains("expects inputs of shape [2, 4]") && "\($0)".contains("[8]") }
        var badSpec = smallSpec
        badSpec.heads = [.init(task: "task2", layers: [.linear(in: nil, out: 5, bias: true)])]
        #expect { try MultiTaskModel(spec: badSpec, tasks: data.tasks, seed: 0) } throws: { "\($0)".contains("heads.task2") }
    }

    @Test func experimentWithBaselinesReportsDeltaMAndEvaluatorReloads() throws {
        let data = try smallData()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = RunConfig()
        config.training = smallConfig(epochs: 2)
        config.baselines = true
        let results = try Experiment.start(config, spec: smallSpec, data: data, directory: dir)
        #expect(results.baselines?.tasks.map(\.task) == ["task0", "task1", "task2"])
        #expect(results.deltaM?.improvement.isFinite == true && results.markdown.contains("Δm%"))
        #expect(results.deltaM?.tasks == ["task0", "task1", "task2"] && results.deltaM?.excluded.isEmpty == true)
        #expect(FileManager.default.fileExists(atPath: try RunDirectory.reading(dir).results.path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("baselines/task1/best.safetensors").path))
    }
}

/// A gradient method is part of the run: named in its config, its state in every snapshot, so a
/// resumed run continues it exactly.
@Suite("Gradient methods in runs")
struct GradientMethodRunTests {
    /// Scales the summed gradient by a factor that shrinks every step: state that matters.
    struct Decaying: GradientMethod {
        let name = "decaying"
        var factor = 1.0
        mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
            factor *= 0.9
            return taskGradients.dropFirst().reduce(taskGradients[0], +) * Float(factor)
        }
        var state: [String: [Double]] {
            get { ["factor": [factor]] }
            set { factor = newValue["factor"]?.first ?? 1 }
        }
    }

    @Test func namedMethodAndItsStateResumeExactly() throws {
        let data = try smallData(seed: 31)
        var config = smallConfig(epochs: 2)
        config.gradientMethod = "sum"
        let byName = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 3), train: data.train, validation: nil, config: config)
        #expect(byName.gradientMethod?.name == "sum")
        config.gradientMethod = "pcgradx"
        #expect { try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 3), train: data.train, validation: nil, config: config) }
            throws: { "\($0)".contains("unknown gradient method 'pcgradx'") }

        config.gradientMethod = nil
        let straight = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 3), train: data.train, validation: nil, config: config)
        straight.gradientMethod = Decaying()
        try straight.run()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            var limited = config
            limited.maxSteps = 7
            let first = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 3), train: data.train, validation: nil, config: limited, directory: dir)
            first.gradientMethod = Decaying()
            try first.run()
        }
        let resumed = try Trainer.resume(directory: dir, train: data.train, validation: nil, tasks: data.tasks)
        resumed.gradientMethod = Decaying()  // a method of one's own: its saved state is given back when training continues
        try resumed.run()
        #expect(resumed.model.network.stateDict() == straight.model.network.stateDict())
        #expect((resumed.gradientMethod as? Decaying)?.factor == (straight.gradientMethod as? Decaying)?.factor)
    }
}
