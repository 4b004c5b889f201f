import Foundation

/// Adam (Kingma & Ba 2015, β = (0.9, 0.999), ε = 1e-8) on a method's own few numbers — FAMO's
/// logits, GradNorm's task weights — with its state as numbers for the run's snapshots.
struct ScalarAdam: Equatable {
    var m: [Double], v: [Double], step = 0
    let learningRate: Double

    init(count: Int, learningRate: Double) {
        (m, v, self.learningRate) = (Array(repeating: 0, count: count), Array(repeating: 0, count: count), learningRate)
    }

    /// One step on `x` along −`gradient`.
    mutating func update(_ x: inout [Double], gradient: [Double]) {
        step += 1
        for i in x.indices {
            m[i] = 0.9 * m[i] + 0.1 * gradient[i]
            v[i] = 0.999 * v[i] + 0.001 * gradient[i] * gradient[i]
            let mHat = m[i] / (1 - Foundation.pow(0.9, Double(step))), vHat = v[i] / (1 - Foundation.pow(0.999, Double(step)))
            x[i] -= learningRate * mHat / (vHat.squareRoot() + 1e-8)
        }
    }

    var state: [String: [Double]] { ["adam_m": m, "adam_v": v, "adam_step": [Double(step)]] }

    mutating func restore(_ state: [String: [Double]]) {
        if let saved = state["adam_m"], saved.count == m.count { m = saved }
        if let saved = state["adam_v"], saved.count == v.count { v = saved }
        if let saved = state["adam_step"]?.first { step = Int(saved) }
    }
}
