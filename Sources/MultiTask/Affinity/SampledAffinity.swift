import Foundation
import NN

/// The machinery of the estimators that sample training steps (TAG, first order, cosine): every
/// `every` steps, before the update, `sample` turns the step into a matrix (row = source); the
/// samples are averaged per epoch, then over epochs (or the epoch means summed), and saved with
/// the run under the method's name.
public class SampledAffinity: AffinityEstimator {
    public let tasks: [String]
    let method: String, every: Int, sumOfEpochs: Bool
    let settingsText: [String: String]
    private var means: EpochMeans
    private var seconds = 0.0

    init(tasks: [String], method: String, every: Int, sumOfEpochs: Bool, settings: [String: String]) {
        (self.tasks, self.method, self.every, self.sumOfEpochs, self.settingsText) = (tasks, method, every, sumOfEpochs, settings)
        means = EpochMeans(size: tasks.count)
    }

    /// One sample from a step with per-task gradients (row = source task, column = target).
    func sample(_ step: TrainingStep, gradients: [ParameterSet]) throws -> [[Double]] {
        preconditionFailure("\(type(of: self)) must implement sample(_:gradients:)")
    }

    public func wantsTaskGradients(atStep index: Int) -> Bool { index % every == 0 }

    public func beforeUpdate(_ step: TrainingStep) throws {
        guard step.index % every == 0, let gradients = step.taskGradients else { return }
        let started = ContinuousClock.now
        means.add(try sample(step, gradients: gradients), step: step.index)
        seconds += (ContinuousClock.now - started).seconds
    }

    public func endEpoch(_ epoch: Int) { means.endEpoch() }
    public func keepSamples() { means.keepSamples = true }
    public func samples() -> [(step: Int, values: [[Double]])] { means.samples }
    public var id: String { method }

    public var state: [String: [Double]] {
        get { means.encoded(seconds: seconds) }
        set { seconds = means.decode(newValue) }
    }

    public func matrix() -> AffinityMatrix {
        AffinityMatrix(tasks: tasks, values: means.result(sumOfEpochs: sumOfEpochs), method: method, settings: settingsText, steps: means.steps, seconds: seconds)
    }
}
