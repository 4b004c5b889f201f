import Foundation
import NN

/// CAGrad (Liu et al. 2021, "Conflict-Averse Gradient Descent for Multi-task Learning"): around the
/// mean gradient g₀, the direction that maximises the worst task's improvement within a ball of
/// radius c‖g₀‖. With g_w = Σ wₜgₜ, solve min over the simplex of g_w·g₀ + c‖g₀‖·‖g_w‖, then
/// d = (g₀ + (c‖g₀‖/‖g_w‖) g_w) / (1 + c²) (the official code's rescaling). c = 0 gives g₀; the
/// paper uses c = 0.4. The small convex problem is solved by projected gradient descent on the
/// simplex (in the Gram matrix's terms).
public struct CAGrad: GradientMethod {
    public let name = "cagrad"
    public let c: Double
    public var pendingNotes: [String] = []

    public init(c: Double = 0.4) { self.c = c }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let c = self.c
        return weighted(taskGradients, present: present) { CAGrad(c: c).solve($0, notes: &$1) }.direction
    }

    func solve(_ g: GradientMatrix, notes: inout [String]) -> [Double] {
        let t = g.tasks
        let gram = g.gram()
        let mean = [Double](repeating: 1 / Double(t), count: t)
        let g0Squared = quadratic(gram, mean, mean)
        guard c > 0, g0Squared > 0 else { return mean }
        let radius = c * g0Squared.squareRoot()
        // f(w) = wᵀGm + radius·√(wᵀGw), m the uniform weights.
        let gm = (0..<t).map { i in (0..<t).reduce(0.0) { $0 + gram[i][$1] * mean[$1] } }
        func f(_ w: [Double]) -> Double { zip(w, gm).reduce(0.0) { $0 + $1.0 * $1.1 } + radius * Swift.max(quadratic(gram, w, w), 0).squareRoot() }
        var w = mean, step = 1 / Swift.max(gram.map { $0.map(Swift.abs).reduce(0, +) }.max()!, 1e-300)
        var converged = false
        for _ in 0..<2000 {
            let gw = (0..<t).map { i in (0..<t).reduce(0.0) { $0 + gram[i][$1] * w[$1] } }
            let norm = Swift.max(quadratic(gram, w, w), 1e-300).squareRoot()
            let gradient = (0..<t).map { gm[$0] + radius * gw[$0] / norm }
            var candidate = Simplex.project(zip(w, gradient).map { $0 - step * $1 })
            while f(candidate) > f(w) && step > 1e-30 {
                step /= 2
                candidate = Simplex.project(zip(w, gradient).map { $0 - step * $1 })
            }
            let change = zip(candidate, w).map { Swift.abs($0 - $1) }.max()!
            w = candidate
            step *= 1.5
            if change < 1e-12 { converged = true; break }
        }
        if !converged { notes.append("cagrad: the inner problem did not converge in 2000 steps; used its last point") }
        let gwNorm = quadratic(gram, w, w).squareRoot()
        let lambda = gwNorm > 0 ? radius / gwNorm : 0
        return (0..<t).map { (mean[$0] + lambda * w[$0]) / (1 + c * c) }
    }

    private func quadratic(_ gram: [[Double]], _ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { for j in b.indices { sum += a[i] * gram[i][j] * b[j] } }
        return sum
    }
}

/// Euclidean projection onto the probability simplex (Duchi et al. 2008).
enum Simplex {
    static func project(_ v: [Double]) -> [Double] {
        let sorted = v.sorted(by: >)
        var cumulative = 0.0, theta = 0.0
        for (i, u) in sorted.enumerated() {
            cumulative += u
            let t = (cumulative - 1) / Double(i + 1)
            if u - t > 0 { theta = t }
        }
        return v.map { Swift.max($0 - theta, 0) }
    }
}
