import Foundation
import NN
import Tensors

/// DB-MTL (Lin et al. 2023, "Dual-Balancing Multi-Task Learning"): balance the losses' scales by
/// taking logs — the gradient of log(Lₜ + ε) is gₜ/(Lₜ + ε) — and the gradients' magnitudes by
/// rescaling each task's moving average ĝₜ ← ∇log Lₜ + (β/k^σ)(ĝₜ − ∇log Lₜ) (step k, β = 0.9,
/// σ = 0.5, from 0) to the largest: d = Σₜ (maxₛ‖ĝₛ‖ / ‖ĝₜ‖) ĝₜ. Invariant to scaling a task's loss.
/// The moving averages are as large as the gradients, so they are saved as tensors (`buffers`).
public struct DBMTL: GradientMethod {
    public let name = "dbmtl"
    public var pendingNotes: [String] = []
    public let beta = 0.9, sigma = 0.5
    /// Kept in Float, as saved, so a resumed run continues bit for bit.
    private var averages: [[Float]]?
    private var names: [String] = []
    private var shapes: [[Int]] = []
    private var step = 0
    let tasks: Int

    public init(tasks: Int) { self.tasks = tasks }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        let g = GradientMatrix(taskGradients)
        (names, shapes) = (g.names, g.shapes)
        step += 1
        let logGradients = zip(g.rows, losses).map { row, loss in row.map { $0 / (Swift.max(loss, 0) + 1e-8) } }
        let decay = beta / Foundation.pow(Double(step), sigma)
        var averages = self.averages ?? logGradients.map { [Float](repeating: 0, count: $0.count) }
        if averages.count != logGradients.count || averages[0].count != logGradients[0].count {
            pendingNotes.append("dbmtl: the gradients changed size, so the moving averages started again")
            averages = logGradients.map { [Float](repeating: 0, count: $0.count) }
        }
        for t in averages.indices {
            for k in averages[t].indices { averages[t][k] = Float(logGradients[t][k] + decay * (Double(averages[t][k]) - logGradients[t][k])) }
        }
        self.averages = averages
        let norms = averages.map { row in row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let largest = norms.max() ?? 0
        var direction = [Double](repeating: 0, count: averages[0].count)
        for (t, row) in averages.enumerated() {
            let scale = largest / (norms[t] + 1e-8)
            for k in direction.indices { direction[k] += scale * Double(row[k]) }
        }
        return g.parameters(direction)
    }

    public var state: [String: [Double]] {
        get { ["step": [Double(step)]] }
        set { if let s = newValue["step"]?.first { step = Int(s) } }
    }

    /// The moving averages, one tensor per task and shared tensor: `TASK_INDEX/NAME`.
    public var buffers: ParameterSet {
        get {
            guard let averages else { return ParameterSet() }
            var set = ParameterSet()
            for (t, row) in averages.enumerated() {
                var offset = 0
                for (name, shape) in zip(names, shapes) {
                    let count = shape.reduce(1, *)
                    set.insert("\(t)/\(name)", Tensor(shape: shape, scalars: Array(row[offset ..< offset + count])))
                    offset += count
                }
            }
            return set
        }
        set {
            guard !newValue.isEmpty else { return }
            let first = newValue.names.filter { $0.hasPrefix("0/") }.map { String($0.dropFirst(2)) }
            names = first
            shapes = first.map { newValue["0/\($0)"]!.shape }
            averages = (0..<tasks).map { t in first.flatMap { newValue["\(t)/\($0)"]?.scalars ?? [] } }
        }
    }
}
