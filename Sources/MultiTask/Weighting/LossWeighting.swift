import NN
import Tensors

/// How per-task losses become one training objective: Σₖ wₖ·Lₖ with weights that are fixed,
/// learned or adapted during training.
public protocol LossWeighting {
    /// A short name for logs and configs (`equal`, `uw`, `dwa`, ...).
    var name: String { get }
    /// Parameters the method learns with the model (uncertainty's log-variances), else empty.
    var parameters: ParameterSet { get set }
    /// The objective for one step; `parameters` are graph leaves for the learned ones.
    mutating func combine(_ losses: [Tensor], parameters: ParameterSet) -> Tensor
    /// Told each epoch's mean training loss per task (DWA adapts on it).
    mutating func endEpoch(meanLosses: [Double])
    /// The weights used in the last `combine`, for logs.
    var weights: [Double] { get }
    /// Everything needed to resume exactly (histories, generator state).
    var state: [String: [Double]] { get set }
}

extension LossWeighting {
    public var parameters: ParameterSet { get { ParameterSet() } set {} }
    public mutating func endEpoch(meanLosses: [Double]) {}
    public var state: [String: [Double]] { get { [:] } set {} }
}

/// Σₖ wₖ·Lₖ.
func weightedSum(_ losses: [Tensor], _ weights: [Double]) -> Tensor {
    zip(losses, weights).map { $0 * Float($1) }.reduce(Tensor(0), +)
}

/// Makes a weighting method from its config name: `equal`, `static:1,0.5,...`, `uw`, `dwa`,
/// `dwa:T`, `rlw`, `famo`. Errors list the known names.
public enum Weightings {
    public static let names = ["equal", "static:w1,w2,...", "uw (uncertainty)", "dwa[:T]", "rlw", "famo"]

    public static func make(_ spec: String, tasks: Int, seed: UInt64) throws -> any LossWeighting {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0].lowercased() {
        case "equal", "ew": return EqualWeighting(tasks: tasks)
        case "static":
            let texts = (parts.count > 1 ? parts[1] : "").split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = texts.compactMap(Double.init)
            guard values.count == tasks, texts.count == tasks else { throw ConfigurationError("weighting 'static' needs \(tasks) comma-separated numbers (one per task), got '\(spec)'") }
            guard values.allSatisfy({ $0.isFinite && $0 >= 0 }), values.contains(where: { $0 > 0 }) else {
                throw ConfigurationError("weighting 'static': weights must be finite, ≥ 0 and not all 0, got '\(spec)'")
            }
            return StaticWeighting(values)
        case "uw", "uncertainty": return UncertaintyWeighting(tasks: tasks)
        case "dwa":
            let temperature = parts.count > 1 ? Double(parts[1]) : 2
            guard let temperature, temperature > 0 else { throw ConfigurationError("weighting 'dwa:T' needs a positive temperature, got '\(spec)'") }
            return DynamicWeightAverage(tasks: tasks, temperature: temperature)
        case "rlw": return RandomLossWeighting(tasks: tasks, seed: seed)
        case "famo": return FAMO(tasks: tasks)
        default: throw ConfigurationError("unknown weighting '\(spec)' (known: \(names.joined(separator: ", ")))")
        }
    }
}

