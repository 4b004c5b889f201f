import Files
import Foundation
import NN
import Optimizers
import Tensors

/// Saving and restoring a trainer through its run directory's snapshots.
extension Trainer {
    /// Saves everything the run needs to continue as one snapshot: the weights, the optimizer,
    /// the state (with the weighting's and dropout's generators), the best weights so far and
    /// the per-epoch metrics.
    func save() throws {
        guard let directory else { return }
        state.weighting = weighting.state
        state.config = try directory.readConfig()
        state.gradientMethod = gradientMethod?.state ?? [:]
        state.observers = Dictionary(observers.map { ($0.id, $0.state) }.filter { !$0.1.isEmpty }, uniquingKeysWith: { first, _ in first })
        state.weightingParameters = Dictionary(uniqueKeysWithValues: weighting.parameters.map { ($0.name, $0.tensor.scalars) })
        state.dropoutGenerators = Dictionary(uniqueKeysWithValues: model.network.namedModules().compactMap { name, module in
            (module as? Dropout).map { (name, GeneratorState.encode($0.rng)) }
        })
        let previousBest = try directory.current().map(\.bestFile).flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }
        let metadata = checkpointMetadata()
        try directory.save { snapshot in
            try model.network.save(to: snapshot.modelFile, metadata: metadata)
            state.files[Snapshot.model] = try DataFingerprint.of(file: snapshot.modelFile)
            if bestIsCurrent {
                try snapshot.link(Snapshot.best, to: snapshot.modelFile)
                state.files[Snapshot.best] = state.files[Snapshot.model]
            } else if let previousBest, state.bestEpoch != nil {
                try snapshot.link(Snapshot.best, to: previousBest)  // its fingerprint is carried over
            }
            // Masks that change during training, and a gradient method's tensors, are part of the snapshot.
            if maskSchedule != nil, let masks { try writeStepTensors(masks, Trainer.snapshotMasks, in: snapshot) }
            if let buffers = gradientMethod?.buffers, !buffers.isEmpty { try writeStepTensors(buffers, Trainer.methodBuffers, in: snapshot) }
            try optimizer.state().write(to: snapshot.optimizerFile, metadata: ["step": "\(state.globalStep)"])
            state.files[Snapshot.optimizer] = try DataFingerprint.of(file: snapshot.optimizerFile)
            try RunDirectory.writeJSON(state, to: snapshot.stateFile)
            try AtomicWrite.write(Foundation.Data(metricsLines().utf8), to: snapshot.metricsFile)
        }
        bestIsCurrent = false
    }

    /// `metrics.jsonl`: one JSON object per epoch.
    private func metricsLines() throws -> String {
        let encoder = RunJSON.encoder()
        return try state.history.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    func checkpointMetadata() -> [String: String] {
        ["spec": model.spec.yaml(), "tasks": model.tasks.map(\.name).joined(separator: ","), "epoch": "\(state.epoch)", "step": "\(state.globalStep)"]
    }

    /// Restores the trainer from `snapshot`, whose `state.json` the caller has read and checked
    /// (`TrainingState.validate`), after checking that its other files are complete, finite and
    /// agree with it; errors name the file.
    func restore(_ snapshot: Snapshot, state saved: TrainingState) throws {
        for (name, expected) in saved.files.sorted(by: { $0.key < $1.key }) {
            let file = snapshot.url.appendingPathComponent(name)
            guard try DataFingerprint.of(file: file) == expected else {
                throw RunDirectoryError.corrupt(path: file.path, reason: "its contents changed after it was saved (its fingerprint differs from the one in \(Snapshot.state)): the file is damaged")
            }
        }
        let weights = try model.network.load(from: snapshot.modelFile)
        guard weights["step"] == "\(saved.globalStep)" else {
            throw RunDirectoryError.corrupt(path: snapshot.modelFile.path, reason: "holds step \(weights["step"] ?? "?"), but \(Snapshot.state) says \(saved.globalStep): the files are from different saves")
        }
        try Trainer.requireFinite(model.network.stateDict(), file: snapshot.modelFile.path)
        let optimizerFile = try OptimizerState.readWithMetadata(from: snapshot.optimizerFile)
        guard optimizerFile.metadata["step"] == "\(saved.globalStep)" else {
            throw RunDirectoryError.corrupt(path: snapshot.optimizerFile.path, reason: "holds step \(optimizerFile.metadata["step"] ?? "?"), but \(Snapshot.state) says \(saved.globalStep): the files are from different saves")
        }
        try Trainer.requireFinite(optimizerFile.state.tensors, file: snapshot.optimizerFile.path)
        do { try optimizer.load(optimizerFile.state) } catch {
            throw RunDirectoryError.corrupt(path: snapshot.optimizerFile.path, reason: "\(error) (the run's optimizer is \(config.optimizer.kind))")
        }
        if let bestEpoch = saved.bestEpoch {
            guard FileManager.default.fileExists(atPath: snapshot.bestFile.path) else {
                throw RunDirectoryError.corrupt(path: snapshot.bestFile.path, reason: "is missing, but \(Snapshot.state) names best epoch \(bestEpoch)")
            }
            let (tensors, metadata) = try Safetensors.load(snapshot.bestFile)
            guard metadata["epoch"] == "\(bestEpoch)" else {
                throw RunDirectoryError.corrupt(path: snapshot.bestFile.path, reason: "holds epoch \(metadata["epoch"] ?? "?"), but \(Snapshot.state) names best epoch \(bestEpoch)")
            }
            try Trainer.requireFinite(ParameterSet(tensors.map { ($0.name, $0.tensor) }), file: snapshot.bestFile.path)
        }
        if maskSchedule != nil && saved.files[Trainer.snapshotMasks] == nil {
            throw RunDirectoryError.corrupt(path: snapshot.stateFile.path, reason: "the run's masks change during training, but this snapshot records none")
        }
        if let loaded = try Trainer.stepTensors(Trainer.snapshotMasks, in: snapshot, state: saved) {
            let file = snapshot.url.appendingPathComponent(Trainer.snapshotMasks)
            guard loaded.names == masks?.names else {
                throw RunDirectoryError.corrupt(path: file.path, reason: "does not mask the weights the run's masks.safetensors names")
            }
            try Trainer.checkMasks(loaded, model: model, file: file.path)
            masks = loaded
        }
        state = saved
        weighting.state = saved.weighting
        guard saved.gradientMethod.values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw RunDirectoryError.corrupt(path: snapshot.stateFile.path, reason: "the gradient method's state holds a value that is not finite")
        }
        restoredMethodState = saved.gradientMethod  // applied when the run continues, to the method set by then
        if let buffers = try Trainer.stepTensors(Trainer.methodBuffers, in: snapshot, state: saved) {
            try Trainer.requireFinite(buffers, file: snapshot.url.appendingPathComponent(Trainer.methodBuffers).path)
            restoredMethodBuffers = buffers
        }
        restoredObserverStates = saved.observers
        var learned = weighting.parameters
        for (name, values) in saved.weightingParameters {
            guard let current = learned[name], current.count == values.count, values.allSatisfy(\.isFinite) else {
                throw RunDirectoryError.corrupt(path: snapshot.stateFile.path, reason: "weighting parameter '\(name)' does not fit the run's weighting '\(config.weighting)' or is not finite")
            }
            learned[name] = Tensor(shape: current.shape, scalars: values)
        }
        weighting.parameters = learned
        for (name, module) in model.network.namedModules() {
            guard let dropout = module as? Dropout else { continue }
            guard let generator = saved.dropoutGenerators[name].flatMap(GeneratorState.decode) else {
                throw RunDirectoryError.corrupt(path: snapshot.stateFile.path, reason: "has no generator state for dropout layer '\(name)'")
            }
            dropout.rng = generator
        }
    }

    /// Writes `tensors` as the snapshot file `name`, stamped with the step, and records its fingerprint.
    private func writeStepTensors(_ tensors: ParameterSet, _ name: String, in snapshot: Snapshot) throws {
        let file = snapshot.url.appendingPathComponent(name)
        try Safetensors.write(Array(tensors), metadata: ["step": "\(state.globalStep)"], to: file)
        state.files[name] = try DataFingerprint.of(file: file)
    }

    /// The tensors of the snapshot file `name` (nil when the snapshot's state records none), which
    /// must come from the same save as the state.
    static func stepTensors(_ name: String, in snapshot: Snapshot, state saved: TrainingState) throws -> ParameterSet? {
        guard saved.files[name] != nil else { return nil }
        let file = snapshot.url.appendingPathComponent(name)
        let (tensors, metadata) = try Safetensors.load(file)
        guard metadata["step"] == "\(saved.globalStep)" else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "holds step \(metadata["step"] ?? "?"), but \(Snapshot.state) says \(saved.globalStep): the files are from different saves")
        }
        return ParameterSet(tensors.map { ($0.name, $0.tensor) })
    }

    /// A gradient method's tensor state (`GradientMethod.buffers`), in each snapshot.
    static let methodBuffers = "method.safetensors"

    /// The current masks of a run whose masks change (`maskSchedule`), in each snapshot.
    static let snapshotMasks = "masks.safetensors"

    static func requireFinite(_ tensors: ParameterSet, file: String) throws {
        if let name = FiniteCheck.firstNonFinite(tensors) {
            throw RunDirectoryError.corrupt(path: file, reason: "'\(name)' holds NaN or infinite values")
        }
    }

    /// Loads the best epoch's weights (or keeps the last when there was no validation set).
    public func loadBest() throws {
        guard let directory, state.bestEpoch != nil, let snapshot = try directory.current() else { return }
        try model.network.load(from: snapshot.bestFile)
    }
}

extension Trainer {
    /// A pruned run's masks, checked: the file must exist, match the fingerprint `config.json`
    /// recorded, name only prunable weights of the model with their shapes, and hold only 0 and 1.
    static func masks(run: RunDirectory, model: MultiTaskModel, fingerprint: String?) throws -> ParameterSet {
        let file = run.masks
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw RunDirectoryError.corrupt(path: run.url.path, reason: "the run is pruned, but masks.safetensors is missing")
        }
        let masks = ParameterSet(try Safetensors.load(file).tensors.map { ($0.name, $0.tensor) })
        guard fingerprint == nil || DataFingerprint.of(masks) == fingerprint else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "does not hold the masks the run recorded (its contents changed)")
        }
        try checkMasks(masks, model: model, file: file.path)
        return masks
    }

    /// Every mask names a weight of the model, has its shape, and holds only 0 and 1.
    static func checkMasks(_ masks: ParameterSet, model: MultiTaskModel, file: String) throws {
        let parameters = model.network.parameters()
        for (name, mask) in masks {
            guard let weight = parameters[name], weight.shape == mask.shape else {
                throw RunDirectoryError.corrupt(path: file, reason: "mask '\(name)' matches no weight of the model's shape")
            }
            guard mask.scalars.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw RunDirectoryError.corrupt(path: file, reason: "mask '\(name)' holds values other than 0 and 1")
            }
        }
    }

    /// Trains with `masks` from now on, re-estimated on the schedule when `request` is dynamic.
    func prune(with masks: ParameterSet, request: PruningRequest) {
        self.masks = masks
        if request.method == .disparseDynamic {
            maskSchedule = DynamicMasks(request: request, initial: masks, totalSteps: config.epochs * stepsPerEpoch)
        }
    }
}
