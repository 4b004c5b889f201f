import ArgumentParser
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk train`: train a multi-task model and report per-task test metrics.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a multi-task network (trunk + one head per task).")

    @OptionGroup var data: DataOptions
    @Option(help: "Model: reference-mlp, reference-cnn or a spec YAML file (heads for other tasks are added).") var model = "reference-cnn"
    @Option(help: "Optimizer: sgd, adam, adamw.") var optimizer = "adam"
    @Option(help: "Learning rate.") var lr: Float = 1e-3
    @Option(help: "SGD momentum.") var momentum: Float = 0
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: "Weight decay.") var weightDecay: Float = 0
    @Option(help: "Schedule: constant, step, cosine, warmup-cosine.") var schedule = "constant"
    @Option(help: "Loss weighting: equal, static:w1,w2,..., uw, dwa[:T], rlw.") var weighting = "equal"
    @Option(help: "Clip the global gradient norm.") var clip: Float?
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Batch size.") var batchSize = 128
    @Option(help: "Random seed (data order, initialisation, splits).") var seed: UInt64 = 0
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(name: .shortAndLong, help: "Run directory (checkpoints, metrics.jsonl, results.json).") var output: String?
    @Option(name: .customLong("init"), help: "Initialise from a safetensors checkpoint (ours or PyTorch's; matching keys).") var initFrom: String?
    @Flag(help: "Continue the run in --output exactly where it stopped.") var resume = false
    @Flag(help: "Keep the data order fixed (no shuffling).") var noShuffle = false
    @Option(help: "Stop after this many steps (resumable).") var maxSteps: Int?
    @Option(help: "Early stopping patience in epochs.") var patience: Int?
    @Option(help: "Model selection on validation: loss or TASK.METRIC.") var selection = "loss"
    @Flag(help: "Also train one single-task model per task and report Δm%.") var baselines = false

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        if resume && output == nil { throw ValidationError("--resume needs --output (the run directory)") }
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = batchSize
        config.optimizer.kind = optimizer
        config.optimizer.learningRate = lr
        config.optimizer.momentum = momentum
        config.optimizer.nesterov = nesterov
        config.optimizer.weightDecay = weightDecay
        config.schedule.kind = schedule
        config.weighting = weighting
        config.gradientClip = clip
        config.seed = seed
        config.shuffle = !noShuffle
        config.maxSteps = maxSteps
        config.patience = patience
        config.selection = selection
        let prepared = try PreparedData(data.source(seed: seed))
        let printer = ProgressPrinter()
        Interruption.install {
            FileHandle.standardError.write(Data("\ninterrupt: finishing this step and saving a resumable checkpoint (Ctrl-C again to quit now)\n".utf8))
        }
        let results = try Experiment.run(
            spec: try ModelSpec.resolve(model), data: prepared, config: config, directory: output.map { URL(fileURLWithPath: $0) },
            initFrom: initFrom.map { URL(fileURLWithPath: $0) }, resume: resume, baselines: baselines, onEvent: printer.handle,
            shouldStop: { Interruption.requested })
        if results.summary.resumable {
            print("stopped after \(results.summary.steps) steps" + (output.map { "; continue with: mtk train --resume --output \($0)" } ?? " (no --output, so nothing was saved)"))
        }
        print("test set (best validation epoch \(results.bestEpoch.map(String.init) ?? "-")):")
        print(results.markdown)
    }
}
