import Data
import Foundation
import NN
import Testing
import Tensors
@testable import MultiTask

/// Everything is checked before the first step, with errors that name the field.
@Suite("Checked before any work")
struct ValidationTests {
    @Test(arguments: [
        ("lr", "lr (learning rate) must be a finite number ≥ 0"), ("lr-nan", "lr (learning rate)"), ("clip", "clip (the gradient-norm limit)"),
        ("momentum", "momentum must be in [0, 1)"), ("decay", "weight decay"), ("static", "weights must be finite, ≥ 0 and not all 0"),
        ("static-zero", "not all 0"), ("static-count", "needs 3 comma-separated numbers"), ("threads", "threads must be between 1 and 1024"),
        ("batch", "batch size"), ("patience", "patience"), ("metric", "task 'task2' (binary) has the metrics accuracy, auroc"),
        ("nesterov-adam", "nesterov applies to sgd only"), ("momentum-adam", "momentum applies to sgd only"), ("schedule", "schedule: unknown kind 'linear'"),
        ("gamma", "schedule: gamma"), ("beta", "beta2 must be in [0, 1)"),
    ])
    func trainingSettings(field: String, message: String) throws {
        var config = smallConfig()
        switch field {
        case "lr": config.optimizer.learningRate = -1
        case "lr-nan": config.optimizer.learningRate = .nan
        case "clip": config.gradientClip = 0
        case "momentum": config.optimizer.momentum = 1
        case "decay": config.optimizer.weightDecay = -0.1
        case "static": config.weighting = "static:1,-1,1"
        case "static-zero": config.weighting = "static:0,0,0"
        case "static-count": config.weighting = "static:1,,1"
        case "threads": config.threads = 0
        case "batch": config.batchSize = 0
        case "patience": config.patience = 0
        case "metric": config.selection = "task2.mae"
        case "nesterov-adam": (config.optimizer.kind, config.optimizer.momentum, config.optimizer.nesterov) = ("adam", 0, true)
        case "momentum-adam": config.optimizer.kind = "adamw"
        case "schedule": config.schedule.kind = "linear"
        case "gamma": (config.schedule.kind, config.schedule.gamma) = ("step", -1)
        case "beta": (config.optimizer.kind, config.optimizer.momentum, config.optimizer.beta2) = ("adam", 0, 1)
        default: Issue.record("unknown case")
        }
        let data = try smallData()
        #expect {
            try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: nil, config: config)
        } throws: { "\($0)".contains(message) }
    }

    @Test func validSelectionsAreAccepted() throws {
        let data = try smallData()
        for selection in ["loss", "task0.mae", "task2.auroc", "task1.loss"] {
            var config = smallConfig(epochs: 1)
            config.selection = selection
            let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: data.validation, config: config)
            #expect(try trainer.run().bestEpoch == 1, "\(selection)")
        }
    }

    @Test(arguments: [("both", "not both"), ("none", "no data"), ("fraction", "validation fraction must be in [0, 1)"),
                      ("test-only", "a test CSV needs a training CSV"), ("twice", "task 'a' is listed twice"), ("suite", "unknown suite 'mnist'")])
    func dataSources(field: String, message: String) {
        var source = DataSource()
        switch field {
        case "both": (source.suite, source.csv) = ("synthetic", "t.csv")
        case "none": break
        case "fraction": (source.suite, source.validationFraction) = ("synthetic", 1)
        case "test-only": (source.suite, source.testCSV) = ("synthetic", "t.csv")
        case "twice": (source.suite, source.tasks) = ("synthetic", ["a", "b", "a"])
        case "suite": source.suite = "mnist"
        default: Issue.record("unknown case")
        }
        #expect { try source.validate() } throws: { "\($0)".contains(message) }
    }

    /// Empty data, and tasks without labels in training or validation, stop before training.
    @Test func emptyDataAndUnlabelledTasks() throws {
        let data = try smallData()
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        let empty = data.train.subset([])
        #expect { try Trainer(model: model, train: empty, validation: nil, config: smallConfig()) } throws: { "\($0)".contains("is empty") }
        var unlabelled = data.train
        unlabelled.labels["task1"] = Tensor(unlabelled.labels["task1"]!.scalars.map { _ in .nan })
        #expect { try Trainer(model: model, train: unlabelled, validation: nil, config: smallConfig()) }
            throws: { "\($0)".contains("task 'task1' has no labels in the training set") }
        var validation = data.validation!
        validation.labels["task2"] = Tensor(validation.labels["task2"]!.scalars.map { _ in .nan })
        #expect { try Trainer(model: model, train: data.train, validation: validation, config: smallConfig()) }
            throws: { "\($0)".contains("task 'task2' has no labels in the validation split") }
    }

    /// A test set that does not fit the model is an error before the first step, not after training.
    @Test func testSetIsCheckedBeforeTraining() throws {
        var data = try smallData()
        var labels = data.test.labels["task2"]!.scalars
        labels[0] = 7
        data.test.labels["task2"] = Tensor(labels)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = RunConfig()
        config.training = smallConfig()
        var events = 0
        #expect {
            try Experiment.start(config, spec: smallSpec, data: data, directory: dir, onEvent: { _ in events += 1 })
        } throws: { "\($0)".contains("task 'task2': the test set") && "\($0)".contains("label 7.0") }
        #expect(events == 0 && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path))
    }

    /// A spec head for a task that is not learned is a likely typo: an error, unless dropped on purpose.
    @Test func headsForTasksNotLearned() throws {
        let data = try smallData()
        var spec = smallSpec
        spec.heads.append(.init(task: "tsak1", layers: [.linear(in: nil, out: 1, bias: true)]))
        #expect { try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 0) } throws: { "\($0)".contains("heads.tsak1") && "\($0)".contains("not learned") }
        #expect(try MultiTaskModel(spec: spec, tasks: data.tasks, seed: 0, dropUnusedHeads: true).network.tasks == ["task0", "task1", "task2"])
    }

    /// `--init` says what matched; a checkpoint of another model is an error, `strict` demands all.
    @Test func initialCheckpointReportsMatches() throws {
        let data = try smallData()
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try MultiTaskModel(spec: smallSpec, tasks: Array(data.tasks.prefix(2)), seed: 3)
        let partial = dir.appendingPathComponent("two-tasks.safetensors")
        try source.network.save(to: partial)
        let target = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        let report = try InitCheckpoint.load(partial, into: target, strict: false)
        #expect(report.matched.count == 6 && report.missing == ["heads.task2.0.weight", "heads.task2.0.bias"] && report.unexpected.isEmpty)
        #expect(report.description.contains("6 of 8 model tensors loaded"))
        #expect(target.network.parameters()["trunk.0.weight"] == source.network.parameters()["trunk.0.weight"])
        #expect(throws: CheckpointError.self) { try InitCheckpoint.load(partial, into: target, strict: true) }
        let other = dir.appendingPathComponent("other.safetensors")
        try Safetensors.write([("encoder.weight", Tensor.zeros([2, 2]))], to: other)
        #expect { try InitCheckpoint.load(other, into: target, strict: false) } throws: { "\($0)".contains("matches none of the model's 8 tensors") }
    }

    /// No labels means no metric: NaN and "no labels", never 0.0 that reads as perfect; Δm% says
    /// what it left out.
    @Test func unlabelledTestTaskIsReportedNotScored() throws {
        let data = try smallData()
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        var test = data.test
        test.labels["task0"] = Tensor(test.labels["task0"]!.scalars.map { _ in .nan })
        let evaluation = model.evaluate(test)
        let task0 = try #require(evaluation["task0"])
        #expect(task0.hasNoLabels && task0.metrics.allSatisfy(\.value.isNaN) && task0.loss.isNaN)
        let baseline = model.evaluate(data.test)
        let delta = DeltaM(model: evaluation, baselines: baseline)
        #expect(delta.tasks == ["task1", "task2"] && delta.excluded["task0"] == "no labels in the test set")
        let results = RunResults(test: evaluation, bestEpoch: nil, baselines: baseline, deltaM: delta,
                                 summary: TrainingSummary(epochs: 0, steps: 0, stoppedAtStepLimit: false, stoppedEarly: false, history: []))
        #expect(results.markdown.contains("| task0 | (no labels) |") && results.markdown.contains("left out of Δm%: task0: no labels"))
    }

    /// A batch whose activations would not fit is refused before the first step, with the memory.
    @Test func batchMemoryIsCheckedBeforeTraining() throws {
        let examples = 300
        let train = try Dataset(name: "images", inputs: Tensor.zeros([examples, 1, 256, 256]),
                                tasks: [TaskInfo(name: "y", kind: .regression, summary: "")], labels: ["y": Tensor.zeros([examples])])
        let spec = try ModelSpec.parse(yaml: """
            name: wide-conv
            input: [1, 256, 256]
            trunk: [{conv2d: {in: 1, out: 256, kernel: 3, padding: 1}}, {adaptive_avgpool2d: {output: 1}}, flatten]
            heads: {}
            """)
        let model = try MultiTaskModel(spec: spec, tasks: [TaskSpec(name: "y", kind: .regression)], seed: 0)
        var config = smallConfig()
        config.batchSize = 1 << 20  // capped at the 300 examples: still about 75 GiB of activations
        #expect { try Trainer(model: model, train: train, validation: nil, config: config) }
            throws: { "\($0)".hasPrefix("batch size: a batch of 300 would need") && "\($0)".contains("GiB") }
    }

    /// A classification task with one class in training has nothing to learn and would score a
    /// perfect accuracy: an error. A metric that is undefined prints as such, not as "nan".
    @Test func singleClassTasksAndUndefinedMetrics() throws {
        var data = try smallData()
        data.train.labels["task2"] = Tensor(data.train.labels["task2"]!.scalars.map { $0.isNaN ? $0 : 0 })
        #expect {
            try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: nil, config: smallConfig())
        } throws: { "\($0)".contains("task 'task2' has a single class (0) in the training set") }
        let evaluation = Evaluation(tasks: [TaskEvaluation(task: "b", loss: 0.5, metrics: [Metric(name: "auroc", value: .nan, higherIsBetter: true)], labelled: 10)])
        let results = RunResults(test: evaluation, bestEpoch: nil, baselines: nil, deltaM: nil,
                                 summary: TrainingSummary(epochs: 0, steps: 0, stoppedAtStepLimit: false, stoppedEarly: false, history: []))
        #expect(results.markdown.contains("| b | auroc | undefined |"))
    }

    /// A checkpoint with a NaN is refused when a model starts from it, naming the tensor.
    @Test func nonFiniteInitialCheckpointIsRefused() throws {
        let data = try smallData()
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        var weights = model.network.stateDict()
        weights["heads.task1.0.bias"] = Tensor([Float.nan])
        let url = dir.appendingPathComponent("nan.safetensors")
        try Safetensors.write(weights.map { ($0.name, $0.tensor) }, to: url)
        #expect { try InitCheckpoint.load(url, into: model, strict: false) } throws: { "\($0)".contains("'heads.task1.0.bias' holds NaN") }
        // Weights read whole (task vectors' fine-tuned and pretrained models): the same, naming the file.
        #expect { try InitCheckpoint.weights(url) } throws: { "\($0)".contains("\(url.path)") && "\($0)".contains("'heads.task1.0.bias' holds NaN") }
    }

    /// Options that would be ignored are errors.
    @Test func optionsThatWouldBeIgnored() {
        var config = RunConfig()
        config.strictInit = true
        #expect { try config.validate() } throws: { "\($0)".contains("--strict applies to a checkpoint to start from") }
        config = RunConfig()
        config.data = DataSource()
        config.data?.suite = "synthetic"
        config.data?.validationFraction = 0
        config.training.selection = "y0.mae"
        #expect { try config.validate() } throws: { "\($0)".contains("needs a validation split") }
        config.training.selection = "loss"
        config.data?.dataDirectory = "/tmp"
        #expect { try config.validate() } throws: { "\($0)".contains("not to the synthetic suite") }
    }
}
