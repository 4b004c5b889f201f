import NN
import Tensors

/// A gradient-manipulation method (PCGrad, MGDA, CAGrad, ... in the next milestone): it receives each
/// task's gradient of the shared parameters, computed from one forward pass, and returns the
/// direction the optimizer follows for them. Head parameters keep the weighted-loss gradient.
public protocol GradientMethod {
    var name: String { get }
    mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet
    /// Everything needed to resume exactly (weights, a solver's previous solution, generator
    /// state); saved in every snapshot of the run.
    var state: [String: [Double]] { get set }
}

extension GradientMethod {
    public var state: [String: [Double]] { get { [:] } set {} }
}

/// Gradient methods by their config name (`TrainingConfig.gradientMethod`), so a run names its
/// method and resumes with it.
public enum GradientMethods {
    public static let names = ["sum"]

    public static func make(_ name: String, tasks: Int, seed: UInt64) throws -> any GradientMethod {
        switch name {
        case "sum": return GradientSum()
        default: throw ConfigurationError("unknown gradient method '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}

/// The plain sum of the task gradients: the same update as equal weighting, computed through the
/// per-task path. The reference point every gradient method is compared with.
public struct GradientSum: GradientMethod {
    public let name = "sum"
    public init() {}
    public func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        taskGradients.dropFirst().reduce(taskGradients[0], +)
    }
}
