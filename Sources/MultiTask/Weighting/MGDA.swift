import NN

/// MGDA (Sener & Koltun 2018, "Multi-Task Learning as Multi-Objective Optimization"): the update is
/// the minimum-norm point of the convex hull of the task gradients, d = Σ αₜgₜ with α on the simplex
/// minimising ‖Σ αₜgₜ‖² (a Pareto-stationary direction; d = 0 at a Pareto-stationary point).
/// Solved exactly (`MinNormSolver`). On the shared parameters, or with `--rep-grad` at the shared
/// representation (the paper's cheaper bound, MGDA-UB).
public struct MGDA: GradientMethod {
    public let name = "mgda"
    public var pendingNotes: [String] = []
    public private(set) var weights: [Double] = []

    public init() {}

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let result = weighted(taskGradients, present: present) { sub, notes in
            let (weights, note) = MinNormSolver.solve(sub.gram())
            if let note { notes.append("mgda: \(note)") }
            return weights
        }
        weights = result.weights
        return result.direction
    }
}
