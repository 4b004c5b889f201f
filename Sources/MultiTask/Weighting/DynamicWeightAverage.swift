import Foundation
import NN
import Tensors

/// Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019): wₖ(t) = K·softmax(rₖ/T) with
/// rₖ = Lₖ(t−1)/Lₖ(t−2), the ratio of a task's mean training loss over the last two epochs; a task
/// whose loss falls slowly gains weight. The first two epochs use weight 1.
public struct DynamicWeightAverage: LossWeighting {
    public let name = "dwa"
    public let temperature: Double
    public private(set) var weights: [Double]
    private var history: [[Double]] = []

    public init(tasks: Int, temperature: Double = 2) {
        self.temperature = temperature
        weights = Array(repeating: 1, count: tasks)
    }

    public mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor { weightedSum(losses, weights) }

    public mutating func endEpoch(meanLosses: [Double]) {
        history.append(meanLosses)
        guard history.count >= 2 else { return }
        let (last, before) = (history[history.count - 1], history[history.count - 2])
        let ratios = zip(last, before).map { $0 / Swift.max($1, 1e-12) / temperature }
        let top = ratios.max() ?? 0
        let exps = ratios.map { Foundation.exp($0 - top) }
        let total = exps.reduce(0, +)
        weights = exps.map { Double(last.count) * $0 / total }
    }

    public var state: [String: [Double]] {
        get { ["weights": weights, "history": history.flatMap { $0 }] }
        set {
            weights = newValue["weights"] ?? weights
            let flat = newValue["history"] ?? []
            history = stride(from: 0, to: flat.count, by: Swift.max(weights.count, 1)).map { Array(flat[$0..<Swift.min($0 + weights.count, flat.count)]) }
        }
    }
}
