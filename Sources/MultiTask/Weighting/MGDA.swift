import NN

/// MGDA (Sener & Koltun 2018, "Multi-Task Learning as Multi-Objective Optimization"): the update is
/// the minimum-norm point of the convex hull of the task gradients, d = Σ αₜgₜ with α on the simplex
/// minimising ‖Σ αₜgₜ‖² (a Pareto-stationary direction; d = 0 at a Pareto-stationary point).
/// Solved exactly (`MinNormSolver`). On the shared parameters; the paper's cheaper
/// shared-representation bound (MGDA-UB) needs the representation's gradients, which the step hook
/// does not give yet.
public struct MGDA: GradientMethod {
    public let name = "mgda"
    public var pendingNotes: [String] = []
    public private(set) var weights: [Double] = []

    public init() {}

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        combine(taskGradients, losses: losses, present: taskGradients.map { _ in true })
    }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        var notes: [String] = []
        let alpha = onPresent(g, present) { sub in
            let (weights, note) = MinNormSolver.solve(sub.gram())
            if let note { notes.append("mgda: \(note)") }
            return weights
        }
        pendingNotes += notes
        weights = alpha
        return g.parameters(g.combination(alpha))
    }
}
