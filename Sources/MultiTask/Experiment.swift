import Data
import Foundation
import NN
import Tensors

/// A whole run: train (or resume), reload the best epoch, evaluate on test, optionally train one
/// single-task model per task and compute Δm%. Writes `results.json` into the run directory.
/// Everything is checked before the first step; everything runs on the run's thread count.
public enum Experiment {
    /// Starts a new run of `config` with `spec` on `data`. With `directory`, the run is saved
    /// there (which must not hold another run unless `overwrite`). `dropUnusedHeads` allows a
    /// spec with heads for tasks that are not learned (a built-in spec's), which are then dropped.
    public static func start(
        _ config: RunConfig, spec: ModelSpec, data: PreparedData, directory: URL?, overwrite: Bool = false, dropUnusedHeads: Bool = false,
        observers: [any TrainingObserver] = [], onEvent: ((TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false },
        prune: ((MultiTaskModel) throws -> (masks: ParameterSet, request: PruningRequest))? = nil
    ) throws -> RunResults {
        var config = config
        config.training.threads = config.training.threads ?? ComputeThreads.count
        return try ComputeThreads.with(config.training.threads!) {
            try config.training.validate(tasks: data.tasks)
            let adjusted = try MultiTaskModel.spec(for: spec, tasks: data.tasks, dropUnusedHeads: dropUnusedHeads)
            for (set, role) in [(data.train, "training set"), (data.test, "test set")] { try MultiTaskModel.checkInputs(adjusted, set, role: role) }
            if let problem = try adjusted.batchMemoryProblem(batch: Swift.min(config.training.batchSize, Swift.max(data.train.count, 1))) {
                throw ConfigurationError("batch size: \(problem)")  // before the weights are allocated
            }
            let model = try MultiTaskModel(spec: adjusted, tasks: data.tasks, seed: config.training.seed)
            let unused = spec.heads.map(\.task).filter { name in !data.tasks.contains { $0.name == name } }
            if !unused.isEmpty { onEvent?(.note("model '\(spec.name)': heads for tasks not learned are left out: \(unused.joined(separator: ", "))")) }
            try Trainer.check(model: model, train: data.train, validation: data.validation, config: config.training)
            try model.checkData(data.test, role: "test set")
            if let checkpoint = config.initFrom {
                let report = try InitCheckpoint.load(URL(fileURLWithPath: checkpoint), into: model, strict: config.strictInit)
                onEvent?(.note(report.description))
            }
            let existed = directory.map { FileManager.default.fileExists(atPath: $0.path) } ?? true
            let run = try directory.map { try RunDirectory.create($0, overwrite: overwrite) }
            if run != nil { config.dataFingerprint = DataFingerprint.of(data) }
            // Masks come from the model as it starts (initialised, or loaded from --init), once the
            // directory is known to be usable; a failure removes a directory made for this run.
            let pruned: (masks: ParameterSet, request: PruningRequest)?
            do { pruned = try prune?(model) } catch {
                if !existed, let directory { try? FileManager.default.removeItem(at: directory) }
                throw error
            }
            if let pruned {
                config.pruning = pruned.request
                config.pruning?.masksFingerprint = DataFingerprint.of(pruned.masks)
            }
            // The masks are written before config.json: a run that has a config has its masks.
            if let pruned, let run { try Safetensors.write(Array(pruned.masks), metadata: ["content": "pruning-masks"], to: run.masks) }
            if config.data != nil && config.data?.tasks == nil { config.data?.tasks = data.tasks.map(\.name) }  // explicit, so --tasks on resume compares
            try run?.writeIdentity(config, spec: model.spec)
            let trainer = try Trainer(model: model, train: data.train, validation: data.validation, config: config.training, run: run)
            if let pruned { trainer.prune(with: pruned.masks, request: pruned.request) }
            try trainer.save()  // step 0: the initial weights
            trainer.observers = observers
            return try finish(trainer, config: config, data: data, onEvent: onEvent, shouldStop: shouldStop)
        }
    }

    /// Continues the run in `directory` from its saved files alone: data, tasks, model and
    /// settings come from `config.json` and `model.yaml`. `requested` is the saved config with the
    /// caller's options applied: it may differ only in `RunConfig.changeableOnResume` and in the
    /// paths of the data files (`RunConfig.relocatable`: moved files, whose contents must match
    /// the fingerprint); its step limit is the new one (nil: to the end). Any other difference is
    /// an error naming the field.
    public static func resume(
        directory: URL, requested: RunConfig? = nil, observers: [any TrainingObserver] = [],
        onEvent: ((TrainingEvent) -> Void)? = nil, shouldStop: @escaping () -> Bool = { false }
    ) throws -> RunResults {
        let run = try RunDirectory.open(directory)
        try Trainer.checkUnedited(run)  // an edited config.json is named first, not blamed on the data
        let saved = try run.readConfig()
        var config = requested ?? { var c = saved; c.training.maxSteps = nil; return c }()
        let conflicts = config.differences(from: saved).filter {
            !RunConfig.changeableOnResume.contains($0.field) && !(RunConfig.relocatable.contains($0.field) && saved.dataFingerprint != nil)
        }
        guard conflicts.isEmpty else {
            throw ConfigurationError("the run in \(directory.path) was started with other settings; to change them start a new run (or --overwrite this one):\n"
                + conflicts.map { "  \($0.field): \($0.value) given, the run has \($0.saved)" }.joined(separator: "\n"))
        }
        guard let source = config.data, saved.data != nil else {
            throw ConfigurationError("\(run.config.path): the run was started from code with in-memory data sets; resume it with Trainer.resume(directory:train:validation:tasks:)")
        }
        config.training.threads = config.training.threads ?? saved.training.threads ?? ComputeThreads.count
        return try ComputeThreads.with(config.training.threads!) {
            let data = try PreparedData(source)
            if let expected = saved.dataFingerprint, DataFingerprint.of(data) != expected {
                let files = [source.csv, source.testCSV].compactMap { $0 } + (source.suite.map { ["the \($0) suite's files" + (source.dataDirectory.map { " in \($0)" } ?? "")] } ?? [])
                throw ConfigurationError("the data differs from when the run in \(directory.path) started (\(files.joined(separator: ", ")) changed?): resuming would silently train on other data; restore it or start a new run")
            }
            let changes = ResumeChanges(epochs: config.training.epochs, maxSteps: config.training.maxSteps, threads: config.training.threads)
            let trainer = try Trainer.resume(run: run, train: data.train, validation: data.validation, tasks: data.tasks, changes: changes) { model in
                if let checkpoint = saved.initFrom {
                    let report = try InitCheckpoint.load(URL(fileURLWithPath: checkpoint), into: model, strict: saved.strictInit)
                    onEvent?(.note(report.description))
                }
            }
            try trainer.model.checkData(data.test, role: "test set")
            trainer.observers = observers
            if config.baselines != saved.baselines || config.data != saved.data {
                var record = try run.readConfig()
                (record.baselines, record.data) = (config.baselines, config.data)  // moved data files: the new paths
                try RunDirectory.writeJSON(record, to: run.config)
            }
            return try finish(trainer, config: config, data: data, onEvent: onEvent, shouldStop: shouldStop)
        }
    }

    /// Trains, evaluates the best epoch on test, then the baselines when asked.
    private static func finish(
        _ trainer: Trainer, config: RunConfig, data: PreparedData,
        onEvent: ((TrainingEvent) -> Void)?, shouldStop: @escaping () -> Bool
    ) throws -> RunResults {
        trainer.onEvent = onEvent
        trainer.shouldStop = shouldStop
        let summary = try trainer.run()
        try trainer.loadBest()
        let test = trainer.model.evaluate(data.test)
        var results = RunResults(test: test, bestEpoch: summary.bestEpoch, baselines: nil, deltaM: nil, summary: summary)
        if config.baselines && !summary.resumable {
            var evaluations: [TaskEvaluation] = []
            for task in data.tasks {
                let baseline = try baselineTrainer(task, spec: trainer.model.spec, config: config.training, data: data, parent: trainer.directory)
                baseline.onEvent = onEvent
                baseline.shouldStop = shouldStop
                let outcome = try baseline.run()
                if outcome.resumable {
                    results.summary.interrupted = true
                    break
                }
                try baseline.loadBest()
                evaluations += baseline.model.evaluate(data.test).tasks
            }
            if evaluations.count == data.tasks.count {
                results.baselines = Evaluation(tasks: evaluations)
                results.deltaM = DeltaM(model: test, baselines: results.baselines!)
            }
        }
        if let directory = trainer.directory, !results.summary.resumable { try RunDirectory.writeJSON(results, to: directory.results) }
        return results
    }

    /// The single-task run for `task` (the multi-task model's trunk and this task's head, from the
    /// same seed): saved in `baselines/TASK` of the run directory, where it is
    /// resumed (or, when finished, reloaded) if an earlier invocation started it.
    private static func baselineTrainer(_ task: TaskSpec, spec: ModelSpec, config: TrainingConfig, data: PreparedData, parent: RunDirectory?) throws -> Trainer {
        var single = config
        single.weighting = "equal"
        single.maxSteps = nil
        let train = try data.train.selecting(tasks: [task.name]), validation = try data.validation?.selecting(tasks: [task.name])
        guard let parent else {
            return try Trainer(model: try MultiTaskModel(spec: spec, tasks: [task], seed: config.seed, dropUnusedHeads: true), train: train, validation: validation, config: single)
        }
        let url = parent.url.appendingPathComponent("baselines").appendingPathComponent(task.name)
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) {
            return try Trainer.resume(run: try RunDirectory.open(url), train: train, validation: validation, tasks: [task],
                                      changes: ResumeChanges(epochs: single.epochs, threads: single.threads))
        }
        let run = try RunDirectory.create(url, overwrite: true)
        let model = try MultiTaskModel(spec: spec, tasks: [task], seed: config.seed, dropUnusedHeads: true)
        var record = RunConfig()
        record.training = single
        try run.writeIdentity(record, spec: model.spec)
        let trainer = try Trainer(model: model, train: train, validation: validation, config: single, run: run)
        try trainer.save()
        return trainer
    }
}
