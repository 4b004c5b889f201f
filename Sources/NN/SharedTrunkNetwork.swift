import Tensors

/// A shared trunk followed by one head per task: the multi-task network. Equivalent to the
/// PyTorch module with `self.trunk = nn.Sequential(...)` and `self.heads = nn.ModuleDict(...)`,
/// so parameters are named `trunk.0.weight`, `heads.class.0.bias`, ...
public final class SharedTrunkNetwork: Module {
    public let trunk: Sequential
    public let heads: ModuleDict
    /// Task names in head order.
    public var tasks: [String] { heads.keys }

    public init(trunk: Sequential, heads: [(String, Sequential)]) {
        self.trunk = trunk
        self.heads = ModuleDict(heads)
        super.init()
        registerModule("trunk", trunk)
        registerModule("heads", self.heads)
    }

    /// The shared representation and every head's output, in task order.
    public func forward(_ x: Tensor) -> (features: Tensor, outputs: [(task: String, output: Tensor)]) {
        let features = trunk(x)
        return (features, heads.keys.map { ($0, heads[$0]!(features)) })
    }

    /// One head applied to the shared representation.
    public func head(_ task: String, _ features: Tensor) -> Tensor {
        guard let head = heads[task] else { fatalError("SharedTrunkNetwork: no head '\(task)'; heads are \(tasks)") }
        return head(features)
    }

    /// The trunk's parameters (names starting with `trunk.`).
    public func trunkParameters() -> ParameterSet { parameters().with(prefix: "trunk.") }

    public override var summary: String { "SharedTrunkNetwork" }
}
