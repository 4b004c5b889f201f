import Data
import NN
import Tensors

/// One training step as its observers see it, before the optimizer updates the parameters:
/// the batch, each task's loss and (when asked for) its gradient of the shared parameters from
/// the step's single forward pass, the shared parameters, the learning rate — and two questions
/// the estimators of task affinity need answered exactly as the trainer would:
/// `proposedUpdate(_:)` and `losses(withShared:)`.
public final class TrainingStep {
    /// The epoch (0-based) and the step's index in the whole run (0-based, before it is taken).
    public let epoch: Int
    public let index: Int
    public let batch: Batch
    public let tasks: [String]
    /// Each task's loss on the batch, from the training forward pass.
    public let losses: [Double]
    /// Each task's gradient of the shared (trunk) parameters, in task order; nil unless an
    /// observer asked for this step (`TrainingObserver.wantsTaskGradients`) or a gradient method runs.
    public let taskGradients: [ParameterSet]?
    /// The shared parameters before the update.
    public let shared: ParameterSet
    public let learningRate: Float
    private let propose: (ParameterSet) -> ParameterSet
    private let evaluate: (ParameterSet) throws -> [Double]

    init(epoch: Int, index: Int, batch: Batch, tasks: [String], losses: [Double], taskGradients: [ParameterSet]?, shared: ParameterSet,
         learningRate: Float, propose: @escaping (ParameterSet) -> ParameterSet, evaluate: @escaping (ParameterSet) throws -> [Double]) {
        (self.epoch, self.index, self.batch, self.tasks, self.losses) = (epoch, index, batch, tasks, losses)
        (self.taskGradients, self.shared, self.learningRate, self.propose, self.evaluate) = (taskGradients, shared, learningRate, propose, evaluate)
    }

    /// Δ, the change the trainer's optimizer would make to the shared parameters if `gradient`
    /// were this step's gradient for them: θ_new = θ − Δ, with its momentum, Adam moments, weight
    /// decay, Nesterov and the current learning rate, exactly as the real step (which it does not
    /// change: the optimizer's state is a value, and a copy takes the step). No clipping.
    public func proposedUpdate(_ gradient: ParameterSet) -> ParameterSet { propose(gradient) }

    /// Each task's loss on this step's batch with the shared parameters replaced by `shared`
    /// (heads as they are): no gradients recorded, the network in training mode as for the real
    /// forward, and BatchNorm running statistics and dropout generators left as they were.
    public func losses(withShared shared: ParameterSet) throws -> [Double] { try evaluate(shared) }
}

/// Watches training step by step (the affinity estimators, gradient statistics). Observers only
/// look: the run's weights, optimizer and generators are the same with or without them.
public protocol TrainingObserver: AnyObject {
    /// Whether step `index` (0-based, in the whole run) needs each task's shared gradient.
    func wantsTaskGradients(atStep index: Int) -> Bool
    /// Called before the optimizer updates the parameters.
    func beforeUpdate(_ step: TrainingStep) throws
    /// Called after the update (the network holds the new parameters).
    func afterUpdate(_ step: TrainingStep) throws
    /// Called when epoch `epoch` (0-based) has finished.
    func endEpoch(_ epoch: Int)
    /// Called once when training has run to its end (not at a resumable stop), with the trained
    /// model and its training set: for measurements of the finished network.
    func trainingFinished(model: MultiTaskModel, train: Dataset) throws
    /// A name unique among a run's observers, under which `state` is saved.
    var id: String { get }
    /// What the observer has gathered, saved in every snapshot and given back when a resumed run
    /// continues (empty: nothing to save).
    var state: [String: [Double]] { get set }
}

extension TrainingObserver {
    public func afterUpdate(_ step: TrainingStep) throws {}
    public func endEpoch(_ epoch: Int) {}
    public func trainingFinished(model: MultiTaskModel, train: Dataset) throws {}
    public var id: String { String(describing: type(of: self)) }
    public var state: [String: [Double]] { get { [:] } set {} }
}
