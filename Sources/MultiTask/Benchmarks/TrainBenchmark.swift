import Data
import Foundation
import NN
import Tensors

/// `mtk bench train`: the reference MLP and CNN workloads exactly as the PyTorch peer scripts
/// (../shared/bench/pytorch/mtl_mlp.py, mtl_cnn.py) define them, trained by the real `Trainer`:
/// Fashion-MNIST scaled by 1/255, batch 128, shuffled, last partial batch kept, one epoch of 60k.
/// - MLP: Linear 784→100 + ReLU, heads class and parity; loss 1.0·CE(class) + 0.5·CE(parity);
///   SGD lr 1e-3, momentum 0.9, Nesterov, weight decay 1e-4.
/// - CNN: the reference CNN, heads class, footwear, upper; loss Σ CE; Adam lr 1e-3.
/// With an affinity estimator (CNN only), the run also measures TAG lookahead or gradient cosine
/// as tag_affinity.py and grad_cos.py do (those peers' workload names).
/// The JSON uses the peer scripts' keys so both sides line up.
public enum TrainBenchmark {
    public struct Record: Sendable, Codable {
        public var workload: String
        public var engine = "MultiTaskKit"
        public var threads: Int
        public var batch: Int
        public var seed: UInt64
        public var epochs: Int
        public var train_s_per_epoch: Double
        public var images_per_s: Double
        public var steps: Int
        public var step_ms_median: Double
        public var step_ms_min: Double
        public var eval_s: Double
        public var load_s: Double
        public var test_acc: [String: Double]
        public var train_loss_last_epoch: [String: Double]
        /// With an estimator: its sampling interval, samples taken and the seconds spent in them
        /// (the lookaheads or the cosines, not the per-task backward passes).
        public var every: Int?
        public var measurements: Int?
        public var affinity_s: Double?
    }

    /// The affinity estimators a benchmark run can carry, named by their peer script's workload.
    public enum Affinity: String, Sendable, CaseIterable {
        case tag = "tag_affinity", cosine = "grad_cos"
    }

    public enum Workload: String, Sendable, CaseIterable { case mlp, cnn }

    public static func run(_ workload: Workload, threads: Int, batch: Int = 128, seed: UInt64 = 0, epochs: Int = 1,
                           affinity: Affinity? = nil, every: Int? = nil, directory: URL? = nil) throws -> Record {
        if affinity != nil, workload != .cnn { throw ConfigurationError("the affinity benchmarks run the cnn workload (as the peer scripts do)") }
        if let every, every < 1 { throw ConfigurationError("every must be at least 1, got \(every)") }
        return try ComputeThreads.with(threads) {
            try runScoped(workload, threads: threads, batch: batch, seed: seed, epochs: epochs, affinity: affinity, every: every, directory: directory)
        }
    }

    private static func runScoped(_ workload: Workload, threads: Int, batch: Int, seed: UInt64, epochs: Int,
                                  affinity: Affinity?, every: Int?, directory: URL?) throws -> Record {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let (train, test) = try datasets(workload, directory: directory)
        let loadSeconds = (clock.now - loadStart).seconds
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = batch
        config.seed = seed
        switch workload {
        case .mlp:
            config.optimizer.kind = "sgd"
            config.optimizer.learningRate = 1e-3
            config.optimizer.momentum = 0.9
            config.optimizer.nesterov = true
            config.optimizer.weightDecay = 1e-4
            config.weighting = "static:1,0.5"
        case .cnn:
            config.optimizer.kind = "adam"
            config.optimizer.learningRate = 1e-3
            config.weighting = "equal"
        }
        let spec: ModelSpec = workload == .mlp ? .referenceMLP : .referenceCNN
        let model = try MultiTaskModel(spec: spec, tasks: train.tasks.map { TaskSpec(name: $0.name, kind: $0.kind) }, seed: seed)
        let trainer = try Trainer(model: model, train: train, validation: nil, config: config)
        let tasks = model.tasks.map(\.name)
        let estimator: SampledAffinity? = switch affinity {
        case .tag?: TAGLookahead(tasks: tasks, settings: { var s = TAGLookahead.Settings(); s.every = every ?? 10; return s }())
        case .cosine?: GradientCosine(tasks: tasks, settings: { var s = GradientCosine.Settings(); s.every = every ?? 1; return s }())
        case nil: nil
        }
        trainer.observers = estimator.map { [$0] } ?? []
        var stepTimes: [Double] = []
        var last = clock.now
        trainer.onEvent = { event in
            if case .step = event {
                let now = clock.now
                stepTimes.append((now - last).seconds)
                last = now
            }
        }
        last = clock.now
        let summary = try trainer.run()
        let evalStart = clock.now
        let evaluation = model.evaluate(test)
        let evalSeconds = (clock.now - evalStart).seconds
        let trainSeconds = summary.history.map(\.seconds).reduce(0, +) / Double(Swift.max(summary.history.count, 1))
        let sorted = stepTimes.sorted()
        let measured = estimator?.matrix()
        return Record(workload: affinity?.rawValue ?? "mtl_\(workload.rawValue)", threads: threads, batch: batch, seed: seed, epochs: epochs,
                      train_s_per_epoch: trainSeconds, images_per_s: Double(train.count) / trainSeconds, steps: stepTimes.count,
                      step_ms_median: 1000 * sorted[sorted.count / 2], step_ms_min: 1000 * sorted[0],
                      eval_s: evalSeconds, load_s: loadSeconds,
                      test_acc: Dictionary(uniqueKeysWithValues: evaluation.tasks.map { ($0.task, $0.metric("accuracy")?.value ?? .nan) }),
                      train_loss_last_epoch: summary.history.last?.trainLoss ?? [:],
                      every: estimator?.every, measurements: measured?.steps.count, affinity_s: measured?.seconds)
    }

    /// Fashion-MNIST with the workload's tasks: class and parity (class % 2) on flattened inputs for
    /// the MLP; class, footwear and upper from the `fashion-attributes` suite for the CNN.
    static func datasets(_ workload: Workload, directory: URL?) throws -> (Dataset, Dataset) {
        func make(_ split: FashionMNIST.Split) throws -> Dataset {
            guard workload == .mlp else {
                return try TaskSuite.fashionAttributes(split, seed: 0, directory: directory).selecting(tasks: ["class", "footwear", "upper"])
            }
            let (images, labels) = try FashionMNIST.load(split, directory: directory)
            return try Dataset(name: "fashion-mnist-mlp", inputs: images.reshaped([images.shape[0], 784]),
                               tasks: [TaskInfo(name: "class", kind: .multiclass(classes: 10), summary: "the garment class"),
                                       TaskInfo(name: "parity", kind: .binary, summary: "class % 2")],
                               labels: ["class": Tensor(labels.map(Float.init)), "parity": Tensor(labels.map { Float($0 % 2) })])
        }
        return (try make(.train), try make(.test))
    }
}
