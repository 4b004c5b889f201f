import NN
import Tensors

/// Task vectors (Ilharco et al. 2023, "Editing Models with Task Arithmetic"): τ = θ_ft − θ_pre
/// over the shared parameters (each task keeps its own head, as multi-task merging needs), with
/// their norms, cosines and subspace alignment. Addition, negation and scaling are
/// `ParameterSet`'s arithmetic; θ_pre + α·τ is `ModelMerge` with `task_arithmetic` and λ = α.
public enum TaskVectors {
    /// τ = θ_ft − θ_pre over the tensors `include` accepts; both must hold them with the same shapes.
    public static func make(pretrained: ParameterSet, finetuned: ParameterSet, include: (String) -> Bool) throws -> ParameterSet {
        let names = pretrained.names.filter(include)
        guard !names.isEmpty else { throw ConfigurationError("task vector: no tensor of the pretrained model is selected") }
        return ParameterSet(try names.map { name in
            guard let tuned = finetuned[name] else { throw ConfigurationError("task vector: the fine-tuned model lacks '\(name)'") }
            guard tuned.shape == pretrained[name]!.shape else {
                throw ConfigurationError("task vector: '\(name)' has shape \(tuned.shape) fine-tuned but \(pretrained[name]!.shape) pretrained")
            }
            return (name, tuned - pretrained[name]!)
        })
    }

    /// The cosine of every pair of task vectors (symmetric, 1 on the diagonal; 0 with a zero vector).
    public static func cosineMatrix(tasks: [String], vectors: [ParameterSet]) -> AffinityMatrix {
        let values = vectors.indices.map { i in vectors.indices.map { j in i == j ? 1 : vectors[i].cosine(vectors[j]) } }
        return AffinityMatrix(tasks: tasks, values: values, method: "task-vector-cosine")
    }

    /// The Subspace Alignment Ratio (Marczak et al. 2025, "No Task Left Behind: Isotropic Model
    /// Merging with Common and Task-Specific Subspaces"): for each weight of rank ≥ 2 (reshaped to
    /// [out, rest]), Π_k projects onto the top-k left singular vectors of the merged update Δ_M,
    /// k the fewest whose singular values hold `energy` of ‖Δ_M‖_F (√(Σᵢ≤ₖσᵢ²/Σσ²) ≥ energy; the
    /// paper's 0.95); over the model, SAR = √(Σ_layers ‖Π_k Δ_t‖²_F / Σ_layers ‖Δ_t‖²_F), in [0, 1].
    /// 1: the task's update lies in the merge's dominant subspace. Vectors (biases) are left out.
    public static func alignmentRatio(_ vector: ParameterSet, merged: ParameterSet, energy: Double = 0.95) -> Double {
        var projected = 0.0, total = 0.0
        for (name, delta) in vector where delta.rank >= 2 {
            guard let mergedDelta = merged[name] else { continue }
            let rows = delta.shape[0], columns = delta.count / Swift.max(rows, 1)
            let basis = leftSingularBasis(mergedDelta.scalars, rows: rows, columns: columns, energy: energy)
            let d = delta.scalars
            for u in basis {
                // ‖uᵀΔ_t‖²: the projection's share of this direction.
                for c in 0..<columns {
                    var dot = 0.0
                    for r in 0..<rows { dot += u[r] * Double(d[r * columns + c]) }
                    projected += dot * dot
                }
            }
            total += d.reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        return total == 0 ? .nan : (projected / total).squareRoot()
    }

    /// The top left singular vectors of the rows × columns matrix `m` holding `energy` of its
    /// Frobenius norm: eigenvectors of m·mᵀ (cyclic Jacobi, in Double), by decreasing eigenvalue.
    static func leftSingularBasis(_ m: [Float], rows: Int, columns: Int, energy: Double) -> [[Double]] {
        var gram = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows {
            for j in i..<rows {
                var sum = 0.0
                for c in 0..<columns { sum += Double(m[i * columns + c]) * Double(m[j * columns + c]) }
                gram[i * rows + j] = sum
                gram[j * rows + i] = sum
            }
        }
        let (values, vectors) = SymmetricEigen.decompose(gram, size: rows)
        let order = values.indices.sorted { values[$0] > values[$1] }
        let total = values.reduce(0) { $0 + Swift.max($1, 0) }
        guard total > 0 else { return [] }
        var kept: [[Double]] = [], running = 0.0
        for i in order {
            kept.append(vectors[i])
            running += Swift.max(values[i], 0)
            if (running / total).squareRoot() >= energy { break }
        }
        return kept
    }
}

/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations (Golub &
/// Van Loan, Matrix Computations, §8.5), accurate to rounding for the sizes of layer Gram matrices.
enum SymmetricEigen {
    /// `matrix` is size × size, row-major; returns the eigenvalues and, for each, its unit eigenvector.
    static func decompose(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [[Double]]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { off += a[i * n + j] * a[i * n + j] } }
            var diagonal = 0.0
            for i in 0..<n { diagonal += a[i * n + i] * a[i * n + i] }
            if off <= 1e-30 * Swift.max(diagonal, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(n, p + 1) where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, (0..<n).map { j in (0..<n).map { v[$0 * n + j] } })
    }
}
