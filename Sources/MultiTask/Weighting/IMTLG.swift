import NN

/// IMTL-G (Liu et al. 2021, "Towards Impartial Multi-task Learning"): the aggregated gradient
/// d = Σ αₜgₜ with Σ αₜ = 1 whose projections onto every task's unit gradient uₜ = gₜ/‖gₜ‖ are
/// equal, so no task dominates however its loss is scaled: with D the rows g₁ − gₜ and U the rows
/// u₁ − uₜ (t ≥ 2), α₂..T = g₁Uᵀ(DUᵀ)⁻¹ and α₁ = 1 − Σ α₂..T. Solved in the Gram matrix's terms.
/// A singular system (parallel gradients) or a zero gradient falls back to the mean, with a note.
public struct IMTLG: GradientMethod {
    public let name = "imtl"
    public var pendingNotes: [String] = []
    public private(set) var weights: [Double] = []

    public init() {}

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let result = weighted(taskGradients, present: present) { Self.solve($0, notes: &$1) }
        weights = result.weights
        return result.direction
    }

    static func solve(_ g: GradientMatrix, notes: inout [String]) -> [Double] {
        let t = g.tasks, gram = g.gram()
        let mean = [Double](repeating: 1 / Double(t), count: t)
        guard t > 1 else { return [1] }
        let norms = (0..<t).map { gram[$0][$0].squareRoot() }
        guard norms.allSatisfy({ $0 > 0 }) else {
            notes.append("imtl: a task's gradient is zero; used the mean gradient for this step")
            return mean
        }
        // uᵢ·gⱼ = G_ij / ‖gᵢ‖.
        func ug(_ i: Int, _ j: Int) -> Double { gram[i][j] / norms[i] }
        // (DUᵀ)_{ab} = (g₁ − g_a)·(u₁ − u_b), a, b in 2...T; (g₁Uᵀ)_b = g₁·(u₁ − u_b).
        let others = Array(1..<t)
        let dut = others.map { a in others.map { b in ug(0, 0) - ug(b, 0) - ug(0, a) + ug(b, a) } }
        let g1u = others.map { b in ug(0, 0) - ug(b, 0) }
        // α solves αᵀ(DUᵀ) = g₁Uᵀ, i.e. (DUᵀ)ᵀα = (g₁Uᵀ)ᵀ.
        let transposed = others.indices.map { r in others.indices.map { c in dut[c][r] } }
        guard let rest = LinearSolve.solve(transposed, g1u) else {
            notes.append("imtl: the gradients are (nearly) parallel, so the system is singular; used the mean gradient for this step")
            return mean
        }
        return [1 - rest.reduce(0, +)] + rest
    }
}
