import Foundation
import NN

/// Where a run stands, saved after every epoch (and at a step-limit stop) so training resumes
/// exactly: the data order follows from (seed, epoch), and the rest is here, in the model and
/// optimizer files beside it.
public struct TrainingState: Sendable, Equatable, Codable {
    /// Epochs completed.
    public var epoch = 0
    /// Steps already taken in the current (incomplete) epoch.
    public var stepInEpoch = 0
    public var globalStep = 0
    /// Per-task loss sums over the current epoch so far, and the number of steps they cover.
    public var epochLossSums: [Double] = []
    /// The task weights the last step used (a learned weighting's are a function of parameters
    /// updated since), so that an epoch record written after a stop at its last step names them.
    public var stepWeights: [Double]?
    public var bestValue: Double?
    public var bestEpoch: Int?
    public var epochsWithoutImprovement = 0
    public var weighting: [String: [Double]] = [:]
    /// The learned weighting parameters (uncertainty's log-variances), by name.
    public var weightingParameters: [String: [Float]] = [:]
    /// Each observer's state, by its id (affinity estimators' sums).
    public var observers: [String: [String: [Double]]] = [:]
    /// The gradient method's state (see `GradientMethod.state`).
    public var gradientMethod: [String: [Double]] = [:]
    /// The gradient method's notes in the current epoch, with how many steps gave each (nil: none).
    public var epochNotes: [String: Int]?
    /// Notes already logged in this run (each is logged once).
    public var reportedNotes: [String]?
    /// Each dropout layer's generator state as 32-bit halves, by module name.
    public var dropoutGenerators: [String: [Double]] = [:]
    public var history: [EpochRecord] = []
    public var finished = false
    /// Finished by early stopping (patience), before the configured epochs.
    public var stoppedEarly = false
    /// The run's settings (its config.json) when the snapshot was saved, so that an edited
    /// config.json is an error on resume rather than a different run.
    public var config: RunConfig?
    /// Fingerprints of the snapshot's weight and optimizer files (and of the best weights), so
    /// damage on disk is an error on resume rather than a different run.
    public var files: [String: String] = [:]

    public init() {}

    /// Checks that the state is one a run could have saved: counts in range and consistent with
    /// each other and with the run's settings. Errors name `file`.
    func validate(tasks: Int, stepsPerEpoch: Int, epochs: Int, file: String) throws {
        func require(_ ok: Bool, _ reason: @autoclosure () -> String) throws {
            guard ok else { throw RunDirectoryError.corrupt(path: file, reason: reason()) }
        }
        try require(epoch >= 0 && stepInEpoch >= 0 && globalStep >= 0, "epoch \(epoch), stepInEpoch \(stepInEpoch) and globalStep \(globalStep) must not be negative")
        try require(stepInEpoch <= stepsPerEpoch, "stepInEpoch \(stepInEpoch) is more than the \(stepsPerEpoch) steps of an epoch")
        let (product, overflow) = epoch.multipliedReportingOverflow(by: stepsPerEpoch)
        try require(!overflow && product <= Int.max - stepInEpoch && globalStep == product + stepInEpoch,
                    "globalStep \(globalStep) disagrees with epoch \(epoch) × \(stepsPerEpoch) steps + stepInEpoch \(stepInEpoch)")
        try require(epoch <= epochs, "epoch \(epoch) is beyond the run's \(epochs) epochs")
        try require(history.count == epoch, "has \(history.count) epoch records for \(epoch) epochs")
        try require(epochLossSums.isEmpty || epochLossSums.count == tasks, "epochLossSums has \(epochLossSums.count) entries for \(tasks) tasks")
        try require(epochLossSums.allSatisfy(\.isFinite), "epochLossSums holds a value that is not finite")
        if let stepWeights { try require(stepWeights.count == tasks && stepWeights.allSatisfy(\.isFinite), "stepWeights must hold a finite weight for each of the \(tasks) tasks") }
        if let bestEpoch { try require(bestEpoch >= 1 && bestEpoch <= epoch, "bestEpoch \(bestEpoch) is not one of the \(epoch) completed epochs") }
        try require(epochsWithoutImprovement >= 0 && epochsWithoutImprovement <= epoch, "epochsWithoutImprovement \(epochsWithoutImprovement) is out of range")
        try require(weighting.values.allSatisfy { $0.allSatisfy(\.isFinite) }, "the weighting state holds a value that is not finite")
    }
}

/// One epoch's record: mean training losses, the weights used, validation results, time.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    public var step: Int
    public var learningRate: Double
    public var trainLoss: [String: Double]
    public var weights: [String: Double]
    public var validation: Evaluation?
    public var selectionValue: Double?
    /// Wall-clock seconds of the epoch's steps (validation not included).
    public var seconds: Double
    /// The CPU seconds of the same (every thread's; nil in runs saved before it was recorded).
    public var cpuSeconds: Double?
    /// log tr F on the training set after the epoch, when the run selects by it (`selection: fisher`).
    public var fisherLogTrace: Double?
    /// What the gradient method reported in this epoch (a solver that did not converge, a
    /// degenerate case and its fallback), with the number of steps: "note (N steps)".
    public var notes: [String]?
}
