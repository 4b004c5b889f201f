import ArgumentParser
import Foundation
import MultiTask
import NN

/// The options of a training run, shared by `mtk train` and `mtk affinity`. Each is optional, so
/// that a resumed run can tell what was given from what was saved; defaults are in brackets.
struct TrainingOptions: ParsableArguments {
    @OptionGroup var data: DataOptions
    @Option(help: "Model: reference-mlp, reference-cnn [default] or a spec YAML file (heads for other tasks are added).") var model: String?
    @Option(help: "Optimizer: sgd, adam [default], adamw.") var optimizer: String?
    @Option(parsing: .unconditional, help: "Learning rate [0.001].") var lr: Float?
    @Option(parsing: .unconditional, help: "SGD momentum, in [0, 1) [0].") var momentum: Float?
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(parsing: .unconditional, help: "Weight decay [0].") var weightDecay: Float?
    @Option(help: "Schedule: constant [default], step, cosine, warmup-cosine.") var schedule: String?
    @Option(help: "Loss weighting: equal [default], static:w1,w2,..., uw, dwa[:T], rlw, famo.") var weighting: String?
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this positive value.") var clip: Float?
    @Option(parsing: .unconditional, help: "Epochs [10]; with train's or affinity's --resume, the new total.") var epochs: Int?
    @Option(parsing: .unconditional, help: "Batch size [128].") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Random seed (data order, initialisation, splits) [0].") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Threads [all cores, or MTK_THREADS].") var threads: Int?
    @Option(name: .shortAndLong, help: "Run directory (config, snapshots, metrics.jsonl, results.json).") var output: String?
    @Option(name: .customLong("init"), help: "Initialise from a safetensors checkpoint (ours or PyTorch's; matching keys).") var initFrom: String?
    @Flag(help: "With --init: every model tensor must be in the checkpoint, and nothing else.") var strict = false
    @Flag(help: "Replace the run in --output (its files only): train, affinity, prune, masks similarity; commands of cached networks (groundtruth, pairwise, finetune) never replace them.") var overwrite = false
    @Flag(help: "Keep the data order fixed (no shuffling).") var noShuffle = false
    @Flag(help: "Take CSV features as they are (default: standardised with the training split's statistics).") var rawFeatures = false
    @Option(parsing: .unconditional, help: "Stop (resumably) after this many steps in all.") var maxSteps: Int?
    @Option(parsing: .unconditional, help: "Early stopping patience in epochs.") var patience: Int?
    @Option(help: "A gradient method on the shared parameters: pcgrad, mgda, cagrad[:c], imtl, aligned, graddrop, gradvac[:beta], nash, gradnorm[:alpha], dbmtl, sum [none: the weighted loss's gradient].") var gradientMethod: String?
    @Flag(help: "Apply the gradient method at the shared representation (the trunk's output) instead of the trunk's parameters: one backward pass through the trunk instead of one per task (not for gradnorm).") var repGrad = false
    @Option(help: "Model selection: loss [default] or TASK.METRIC (TASK.loss too) on validation, or fisher (highest Fisher log-trace on the training set).") var selection: String?
    @Option(parsing: .unconditional, help: "Examples the Fisher of --selection fisher (and mtk finetune's log-traces) is averaged over [256].") var selectionFisherExamples: Int?


    /// Refuses the options that only training uses, for a command that trains nothing
    /// (`what` says what it does instead): given, they would silently do nothing.
    func refuseTrainingOnly(_ command: String, _ what: String) throws {
        let given = [("--optimizer", optimizer != nil), ("--lr", lr != nil), ("--momentum", momentum != nil), ("--nesterov", nesterov),
                     ("--weight-decay", weightDecay != nil), ("--schedule", schedule != nil), ("--weighting", weighting != nil), ("--clip", clip != nil),
                     ("--epochs", epochs != nil), ("--max-steps", maxSteps != nil), ("--patience", patience != nil),
                     ("--gradient-method", gradientMethod != nil), ("--rep-grad", repGrad), ("--selection", selection != nil),
                     ("--selection-fisher-examples", selectionFisherExamples != nil)].filter(\.1).map(\.0)
        guard given.isEmpty else { throw ValidationError("\(given.joined(separator: ", ")): \(command) \(what); training options do nothing here") }
    }

    /// The given options applied to `base`: the defaults for a new run, the saved run on resume.
    /// Checks made by the argument parser before the command runs.
    func validate() throws {
        if initFrom == "" { throw ValidationError("--init: the checkpoint path is empty") }
    }

    func apply(to base: RunConfig) -> RunConfig {
        var config = base
        var training = config.training
        config.data = data.isEmpty && seed == nil && base.data != nil ? base.data : data.apply(to: base.data, seed: seed)
        if let model { config.model = ModelSpec.builtIn[model] != nil ? model : URL(fileURLWithPath: model).standardizedFileURL.path }
        if base.model == nil && config.model == nil { config.model = "reference-cnn" }
        if let optimizer { training.optimizer.kind = optimizer }
        if let lr { training.optimizer.learningRate = lr }
        if let momentum { training.optimizer.momentum = momentum }
        if nesterov { training.optimizer.nesterov = true }
        if let weightDecay { training.optimizer.weightDecay = weightDecay }
        if let schedule { training.schedule.kind = schedule }
        if let weighting { training.weighting = weighting }
        if let clip { training.gradientClip = clip }
        if let epochs { training.epochs = epochs }
        if let batchSize { training.batchSize = batchSize }
        if let seed { training.seed = seed }
        if let threads { training.threads = threads }
        if noShuffle { training.shuffle = false }
        if let maxSteps { training.maxSteps = maxSteps }
        if let patience { training.patience = patience }
        if let selection { training.selection = selection }
        if let gradientMethod { training.gradientMethod = gradientMethod }
        if repGrad { training.representationGradients = true }
        if let selectionFisherExamples { training.fisherExamples = selectionFisherExamples }
        config.training = training
        if let initFrom { config.initFrom = URL(fileURLWithPath: initFrom).standardizedFileURL.path }
        if strict { config.strictInit = true }
        if rawFeatures { config.data?.normalizeFeatures = false }
        return config
    }

    /// Starts a new run of `config` (checked first) with its data and model; `observers` watch
    /// every step.
    func start(_ config: RunConfig, prepared: PreparedData? = nil, observers: [any TrainingObserver] = [],
               onEvent: @escaping (TrainingEvent) -> Void,
               prune: ((MultiTaskModel) throws -> (masks: ParameterSet, request: PruningRequest))? = nil) throws -> RunResults {
        try config.validate()
        let spec = try ModelSpec.resolve(config.model ?? "reference-cnn")
        let prepared = try prepared ?? PreparedData(config.data!)
        return try Experiment.start(config, spec: spec, data: prepared, directory: output.map { URL(fileURLWithPath: $0) }, overwrite: overwrite,
                                    dropUnusedHeads: ModelSpec.builtIn[config.model ?? ""] != nil, observers: observers,
                                    onEvent: onEvent, shouldStop: { Interruption.requested }, prune: prune)
    }

    /// Installs the Ctrl-C / SIGTERM handling and returns the progress display, which also tells
    /// the handling when training (and so saving) has begun.
    static func progressAndSignals() -> (TrainingEvent) -> Void {
        Interruption.install(
            onFirst: { FileHandle.standardError.write(Data("\ninterrupt: finishing this step and saving a resumable checkpoint (press again to quit now)\n".utf8)) },
            onExit: { _ in FileHandle.standardError.write(Data("\ninterrupted: quitting now\n".utf8)) })
        let printer = ProgressPrinter()
        return { event in
            if case .step = event { Interruption.setSaving(true) }
            printer.handle(event)
        }
    }

    /// The run in --output to continue: its saved config, and the config requested — `apply`
    /// (these options, by default) on the saved one, with no step limit unless --max-steps is
    /// given. Warns when --threads differs from the run's, which keeps it correct but not
    /// bit-identical to an uninterrupted run.
    func resumeRequest(apply: ((RunConfig) -> RunConfig)? = nil) throws -> (directory: URL, saved: RunConfig, requested: RunConfig) {
        guard let output else { throw ValidationError("--resume needs --output (the run directory)") }
        if overwrite { throw ValidationError("--resume continues the run in --output and --overwrite replaces it: give one of them") }
        let directory = URL(fileURLWithPath: output)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) else { throw RunDirectoryError.noRun(path: directory.path) }
        let run = try RunDirectory.reading(directory)
        try Trainer.checkUnedited(run)  // an edited config.json is named before its values are used
        let saved = try run.readConfig()
        var base = saved
        base.training.maxSteps = nil  // a resumed run goes to its end unless --max-steps says otherwise
        let requested = apply?(base) ?? self.apply(to: base)
        if let threads, let before = saved.training.threads, threads != before {
            FileHandle.standardError.write(Data("warning: the run used \(before) threads and continues on \(threads): it stays correct, but is no longer bit-identical to an uninterrupted run\n".utf8))
        }
        return (directory, saved, requested)
    }
}
