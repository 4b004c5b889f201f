/// A node of the autograd graph: the op that produced a tensor, its inputs' nodes and the rule
/// that maps the output's gradient to the inputs' gradients. Immutable, hence `Sendable`.
///
/// The graph is kept alive by the tensors that refer to it, so any number of backward passes can
/// run from one forward pass (one per task loss, say) without recomputing it.
public final class GradNode: Sendable {
    /// Maps the output gradient to one gradient per input (`nil` where not needed or not defined).
    /// The second argument says which inputs need a gradient, so unneeded work is skipped.
    typealias Rule = @Sendable (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]

    let op: String
    let inputs: [GradNode?]
    let rule: Rule?

    /// A leaf: a tensor whose gradient is asked for (a parameter), with no rule.
    init(leaf op: String) {
        self.op = op
        self.inputs = []
        self.rule = nil
    }

    init(op: String, inputs: [GradNode?], rule: @escaping Rule) {
        self.op = op
        self.inputs = inputs
        self.rule = rule
    }
}

/// Whether ops record the graph. Off inside `withoutGradients`.
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// True while ops record the autograd graph.
    public static var isRecording: Bool { isEnabled }
}

/// Evaluates `body` without recording the autograd graph (evaluation, optimizer updates).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// This value as a leaf of the autograd graph: gradients can be taken with respect to it.
    /// Storage is shared; only the graph identity is new.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(leaf: "leaf"))
    }

    /// The same values cut off from the autograd graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Whether this value depends on a tensor that requires gradients.
    public var requiresGradient: Bool { node != nil }

    /// Attaches an autograd node for an op with the given inputs, unless none of them requires a
    /// gradient or recording is off. The rule runs during backward with recording off.
    @inline(__always)
    func recording(_ op: String, _ inputs: [Tensor], _ rule: @escaping GradNode.Rule) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }), GradientMode.isEnabled else { return self }
        var out = self
        out.node = GradNode(op: op, inputs: inputs.map(\.node), rule: rule)
        return out
    }
}
