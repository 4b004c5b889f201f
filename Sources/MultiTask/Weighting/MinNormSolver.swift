/// The minimum-norm point of the convex hull of T vectors given by their Gram matrix:
/// min over the simplex of αᵀGα, solved exactly by trying every support S (at most 2^T, so for
/// up to 12 tasks): on S, G_S α = λ1 with Σα = 1; the solution is the one with α ≥ 0 whose other
/// tasks satisfy the KKT condition (Gα)ⱼ ≥ λ. Sener & Koltun's Frank–Wolfe (MGDA's solver) only
/// approaches this point; with more tasks we fall back to it, and say if it did not converge.
enum MinNormSolver {
    /// The weights α, and a note when the answer is not exact (too many tasks, no convergence).
    static func solve(_ gram: [[Double]]) -> (weights: [Double], note: String?) {
        let t = gram.count
        if t == 1 { return ([1], nil) }
        if t <= 12, let exact = exact(gram) { return (exact, nil) }
        return frankWolfe(gram)
    }

    static func exact(_ gram: [[Double]]) -> [Double]? {
        let t = gram.count
        var best: (value: Double, weights: [Double])?
        for mask in 1 ..< (1 << t) {
            let support = (0..<t).filter { mask & (1 << $0) != 0 }
            // [G_S 1; 1ᵀ 0] [α; −λ] = [0; 1]
            let n = support.count
            var a = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
            var b = [Double](repeating: 0, count: n + 1)
            for (r, i) in support.enumerated() {
                for (c, j) in support.enumerated() { a[r][c] = gram[i][j] }
                a[r][n] = 1
                a[n][r] = 1
            }
            b[n] = 1
            guard let x = LinearSolve.solve(a, b) else { continue }
            let alpha = Array(x.prefix(n)), lambda = -x[n]
            guard alpha.allSatisfy({ $0 >= -1e-12 }) else { continue }
            var weights = [Double](repeating: 0, count: t)
            for (r, i) in support.enumerated() { weights[i] = Swift.max(alpha[r], 0) }
            let total = weights.reduce(0, +)
            weights = weights.map { $0 / total }
            let g = (0..<t).map { i in (0..<t).reduce(0.0) { $0 + gram[i][$1] * weights[$1] } }
            let value = zip(weights, g).reduce(0.0) { $0 + $1.0 * $1.1 }
            let scale = Swift.max(1e-12, gram.map { $0.map(Swift.abs).max()! }.max()!)
            guard (0..<t).allSatisfy({ weights[$0] > 0 || g[$0] >= lambda - 1e-9 * scale }) else { continue }
            if best == nil || value < best!.value - 1e-15 * scale { best = (value, weights) }
        }
        return best?.weights
    }

    /// Frank–Wolfe with exact line search (Sener & Koltun 2018, Algorithm 2), from the uniform point.
    static func frankWolfe(_ gram: [[Double]], iterations: Int = 1000) -> (weights: [Double], note: String?) {
        let t = gram.count
        var alpha = [Double](repeating: 1 / Double(t), count: t)
        for _ in 0..<iterations {
            let g = (0..<t).map { i in (0..<t).reduce(0.0) { $0 + gram[i][$1] * alpha[$1] } }
            let k = g.indices.min { g[$0] < g[$1] }!
            // Line search between the current point v = Gα-combination and the vertex e_k.
            let vv = zip(alpha, g).reduce(0.0) { $0 + $1.0 * $1.1 }, vk = g[k], kk = gram[k][k]
            let denominator = vv - 2 * vk + kk
            guard denominator > 1e-18 else { return (alpha, nil) }
            let gamma = Swift.min(Swift.max((vv - vk) / denominator, 0), 1)
            if gamma < 1e-10 { return (alpha, nil) }
            alpha = alpha.enumerated().map { i, a in (1 - gamma) * a + (i == k ? gamma : 0) }
        }
        return (alpha, "min-norm solver: Frank–Wolfe did not converge in \(iterations) iterations; used its last point")
    }
}

/// Small dense linear systems by Gaussian elimination with partial pivoting, in Double.
enum LinearSolve {
    /// x with a·x = b, or nil when a is singular (to a relative 1e-12).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a, y = b
        let n = b.count
        let scale = Swift.max(a.flatMap { $0 }.map(Swift.abs).max() ?? 0, 1e-300)
        for col in 0..<n {
            let pivot = (col..<n).max { Swift.abs(m[$0][col]) < Swift.abs(m[$1][col]) }!
            guard Swift.abs(m[pivot][col]) > 1e-12 * scale else { return nil }
            if pivot != col { m.swapAt(pivot, col); y.swapAt(pivot, col) }
            for row in (col + 1)..<Swift.max(n, col + 1) {
                let f = m[row][col] / m[col][col]
                guard f != 0 else { continue }
                for k in col..<n { m[row][k] -= f * m[col][k] }
                y[row] -= f * y[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = y[row]
            for k in (row + 1)..<Swift.max(n, row + 1) { s -= m[row][k] * x[k] }
            x[row] = s / m[row][row]
        }
        return x
    }
}
