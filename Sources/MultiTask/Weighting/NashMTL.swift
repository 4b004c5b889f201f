import NN

/// Nash-MTL (Navon et al. 2022, "Multi-Task Learning as a Bargaining Game"): the update d = Σ αₜgₜ
/// whose weights solve the bargaining system GGᵀα = 1/α (α > 0), so each task's improvement
/// gₜ·d = 1/αₜ. Solved by our own damped Newton iteration on F(α) = Mα − 1/α (Jacobian
/// M + diag(1/α²)) with M normalised by its norm for conditioning and the answer rescaled back, so
/// scaling a task's loss by k scales its αₜ by 1/k and leaves d unchanged. Warm-started from the
/// previous step's solution (saved with the run). When Newton does not converge — a zero gradient, or
/// gradients no direction improves together (opposite ones), have no solution — the previous solution
/// (uniform at first) is used and a note says so: never a silent fallback.
public struct NashMTL: GradientMethod {
    public let name = "nash"
    public var pendingNotes: [String] = []
    public private(set) var weights: [Double] = []
    private var previous: [Double]?

    public init() {}

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        let t = g.tasks
        let fallback = previous ?? [Double](repeating: 1 / Double(t), count: t)
        let warm = present.allSatisfy { $0 } ? previous : nil
        var failed = false
        let alpha = onPresent(g, present) { sub in
            guard let solved = Self.solve(sub.gram(), start: sub.tasks == t ? warm : nil) else {
                failed = true
                return []
            }
            return solved
        }
        guard !failed else {
            pendingNotes.append("nash: the Newton solver found no solution for this step (a zero gradient, or gradients that no direction improves together, leave the bargaining system without one); used the previous weights")
            weights = fallback
            return g.parameters(g.combination(fallback))
        }
        (weights, previous) = (alpha, alpha)
        return g.parameters(g.combination(alpha))
    }

    /// α > 0 with Mα = 1/α, or nil. Solved for β = Dα on the cosine matrix C = D⁻¹MD⁻¹
    /// (D the gradients' norms), where Cβ = 1/β is the same system, well scaled whatever the
    /// tasks' loss scales.
    static func solve(_ m: [[Double]], start: [Double]?) -> [Double]? {
        let t = m.count
        let norms = (0..<t).map { m[$0][$0].squareRoot() }
        guard norms.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let c = (0..<t).map { i in (0..<t).map { j in m[i][j] / (norms[i] * norms[j]) } }
        guard let beta = newton(c, start: start.map { zip($0, norms).map { $0 * $1 } }) else { return nil }
        return zip(beta, norms).map { $0 / $1 }
    }

    /// β > 0 with Cβ = 1/β by damped Newton (Jacobian C + diag(1/β²)), from `start` or all ones.
    static func newton(_ m: [[Double]], start: [Double]?) -> [Double]? {
        let t = m.count
        var alpha = start ?? [Double](repeating: 1, count: t)
        if alpha.contains(where: { !($0 > 0) || !$0.isFinite }) { alpha = [Double](repeating: 1, count: t) }
        func residual(_ a: [Double]) -> [Double] { (0..<t).map { i in (0..<t).reduce(0.0) { $0 + m[i][$1] * a[$1] } - 1 / a[i] } }
        func size(_ r: [Double]) -> Double { r.map { $0 * $0 }.reduce(0, +).squareRoot() }
        var r = residual(alpha)
        for _ in 0..<100 {
            if size(r) <= 1e-12 * Swift.max(1, size(alpha.map { 1 / $0 })) { return alpha }
            var jacobian = m
            for i in 0..<t { jacobian[i][i] += 1 / (alpha[i] * alpha[i]) }
            guard let step = LinearSolve.solve(jacobian, r) else { return nil }
            var scale = 1.0
            while scale > 1e-12 {
                let candidate = zip(alpha, step).map { $0 - scale * $1 }
                if candidate.allSatisfy({ $0 > 0 && $0.isFinite }), size(residual(candidate)) < size(r) {
                    alpha = candidate
                    break
                }
                scale /= 2
            }
            guard scale > 1e-12 else { return nil }
            r = residual(alpha)
        }
        return size(r) <= 1e-8 * Swift.max(1, size(alpha.map { 1 / $0 })) ? alpha : nil
    }

    public var state: [String: [Double]] {
        get { previous.map { ["previous": $0] } ?? [:] }
        set { previous = newValue["previous"] }
    }
}
