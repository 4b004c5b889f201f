import NN

/// Aligned-MTL (Senushkin et al. 2023, "Independent Component Alignment for Multi-Task Learning"):
/// align the task gradients' principal components so the system G is well conditioned. With the
/// Gram matrix GGᵀ = VΛVᵀ (rank r, eigenvalues above T·λ_max·ε), B = √λ_min · V Λ^{-1/2} Vᵀ and
/// d = Σₜ (Σ_s B_st) gₜ, the equally weighted sum of the aligned gradients BG. A zero Gram matrix
/// gives a zero update, with a note.
public struct AlignedMTL: GradientMethod {
    public let name = "aligned"
    public var pendingNotes: [String] = []

    public init() {}

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let result = weighted(taskGradients, present: present) { Self.solve($0, notes: &$1) }
        return result.direction
    }

    static func solve(_ g: GradientMatrix, notes: inout [String]) -> [Double] {
        let t = g.tasks, gram = g.gram()
        let (values, vectors) = SymmetricEigen.decompose(gram.flatMap { $0 }, size: t)
        let largest = values.max() ?? 0
        let kept = values.indices.filter { values[$0] > largest * Double(t) * Double.ulpOfOne && values[$0] > 0 }
        guard !kept.isEmpty else {
            notes.append("aligned: every task gradient is zero; no update for the shared parameters this step")
            return [Double](repeating: 0, count: t)
        }
        let smallest = kept.map { values[$0] }.min()!
        // B = √λ_min Σ_k v_k v_kᵀ / √λ_k; the weights are B's column sums.
        var weights = [Double](repeating: 0, count: t)
        for k in kept {
            let v = vectors[k], scale = smallest.squareRoot() / values[k].squareRoot()
            let sum = v.reduce(0, +)
            for j in 0..<t { weights[j] += scale * sum * v[j] }
        }
        return weights
    }
}
