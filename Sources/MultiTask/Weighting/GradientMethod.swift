import NN
import Tensors

/// A gradient-manipulation method (PCGrad, MGDA, CAGrad, IMTL-G, Aligned-MTL, GradDrop, GradVac): it receives each
/// task's gradient of the shared parameters, computed from one forward pass, and returns the
/// direction the optimizer follows for them. Head parameters keep the weighted-loss gradient.
public protocol GradientMethod {
    var name: String { get }
    mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet
    /// The same, told which tasks have labels in the batch: a task without any has a zero gradient
    /// by construction, which solvers leave out rather than let it stop the update (MGDA's min-norm
    /// point would be 0). The default ignores `present`.
    mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet
    /// Everything needed to resume exactly (weights, a solver's previous solution, generator
    /// state); saved in every snapshot of the run.
    var state: [String: [Double]] { get set }
    /// What the method has to report since it was last asked — a solver that did not converge, a
    /// degenerate case and the fallback it took — which the trainer logs and records in the epoch's
    /// metrics, then clears.
    var pendingNotes: [String] { get set }
    /// State as large as the gradients themselves (DB-MTL's moving averages), saved in every
    /// snapshot as `method.safetensors` rather than in `state.json`.
    var buffers: ParameterSet { get set }
}

extension GradientMethod {
    /// A method implements one of the two `combine`s; each default calls the other.
    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double], present: [Bool]) -> ParameterSet {
        combine(taskGradients, losses: losses)
    }

    public mutating func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        combine(taskGradients, losses: losses, present: taskGradients.map { _ in true })
    }

    /// d = Σ αₜgₜ with α from `solve` on the present tasks' gradients (0 for the others); the
    /// solver's notes are added to `pendingNotes`. Returns d and α.
    mutating func weighted(_ taskGradients: [ParameterSet], present: [Bool],
                           solve: (GradientMatrix, inout [String]) -> [Double]) -> (direction: ParameterSet, weights: [Double]) {
        let g = GradientMatrix(taskGradients)
        var notes: [String] = []
        let alpha = onPresent(g, present) { solve($0, &notes) }
        pendingNotes += notes
        return (g.parameters(g.combination(alpha)), alpha)
    }

    /// For solvers: the result of `solve` on the present tasks' gradients, with weight 0 for the
    /// absent ones (all of them when none is present).
    func onPresent(_ g: GradientMatrix, _ present: [Bool], _ solve: (GradientMatrix) -> [Double]) -> [Double] {
        let kept = present.indices.filter { present[$0] }
        guard !kept.isEmpty, kept.count < g.tasks else { return solve(g) }
        var sub = g
        sub.rows = kept.map { g.rows[$0] }
        let weights = solve(sub)
        var full = [Double](repeating: 0, count: g.tasks)
        for (k, i) in kept.enumerated() { full[i] = weights[k] }
        return full
    }
    public var state: [String: [Double]] { get { [:] } set {} }
    public var pendingNotes: [String] { get { [] } set {} }
    public var buffers: ParameterSet { get { ParameterSet() } set {} }
}

/// Gradient methods by their config name (`TrainingConfig.gradientMethod`), so a run names its
/// method and resumes with it.
public enum GradientMethods {
    public static let names = ["sum", "pcgrad", "mgda", "cagrad[:c]", "imtl", "aligned", "graddrop", "gradvac[:beta]", "nash", "gradnorm[:alpha]", "dbmtl"]

    /// The parameters a bare name stands for.
    static let defaults: [String: Double] = ["cagrad": 0.4, "gradvac": 0.5, "gradnorm": 1.5]

    /// One spelling per method: `cagrad:0.4` is `cagrad`, `cagrad:0.50` is `cagrad:0.5` (others as given).
    public static func canonical(_ name: String) -> String {
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let standard = defaults[parts[0]], let value = Double(parts[1]), value.isFinite else { return name }
        return value == standard ? parts[0] : "\(parts[0]):\(value)"
    }

    /// `lastLayer`: the trunk tensors of the last shared layer (GradNorm balances their gradient norms).
    public static func make(_ name: String, tasks: Int, seed: UInt64, lastLayer: [String] = []) throws -> any GradientMethod {
        let parts = name.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var value: Double?
        if parts.count > 1 {
            let text = parts[1]
            let decimal = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }
            guard decimal, let number = Double(text), number.isFinite else { throw ConfigurationError("gradient method '\(name)': '\(text)' is not a finite decimal number") }
            guard ["cagrad", "gradvac", "gradnorm"].contains(parts[0]) else {
                throw ConfigurationError("gradient method '\(parts[0])' takes no parameter, got '\(name)' (only cagrad:c, gradvac:beta and gradnorm:alpha do)")
            }
            value = number
        }
        switch parts[0] {
        case "sum": return GradientSum()
        case "pcgrad": return PCGrad(seed: seed)
        case "mgda": return MGDA()
        case "cagrad":
            let c = value ?? 0.4
            guard c >= 0, c <= 10 else { throw ConfigurationError("gradient method 'cagrad:c' needs c in [0, 10] (the paper uses 0.4), got \(c)") }
            return CAGrad(c: c)
        case "imtl": return IMTLG()
        case "aligned": return AlignedMTL()
        case "graddrop": return GradDrop(seed: seed)
        case "gradvac":
            let beta = value ?? 0.5
            guard beta > 0, beta <= 1 else { throw ConfigurationError("gradient method 'gradvac:beta' needs beta in (0, 1], got \(beta)") }
            return GradVac(tasks: tasks, beta: beta, seed: seed)
        case "nash": return NashMTL()
        case "dbmtl": return DBMTL(tasks: tasks)
        case "gradnorm":
            let alpha = value ?? 1.5
            guard alpha >= 0, alpha <= 10 else { throw ConfigurationError("gradient method 'gradnorm:alpha' needs alpha in [0, 10] (the paper uses 0.12 to 3), got \(alpha)") }
            return GradNorm(tasks: tasks, alpha: alpha, layer: lastLayer)
        default: throw ConfigurationError("unknown gradient method '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}

/// The plain sum of the task gradients: the same update as equal weighting, computed through the
/// per-task path. The reference point every gradient method is compared with.
public struct GradientSum: GradientMethod {
    public let name = "sum"
    public init() {}
    public func combine(_ taskGradients: [ParameterSet], losses: [Double]) -> ParameterSet {
        taskGradients.dropFirst().reduce(taskGradients[0], +)
    }
}
