/// What `mtk prune` does, saved with the run (`config.json`) so a pruned run resumes with its masks.
public struct PruningRequest: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Plain SNIP (Lee et al. 2019) on the summed loss: one mask for the whole network.
        case snip
        /// DiSparse static (Sun et al. 2022): per-task SNIP masks at initialisation, combined.
        case disparseStatic = "disparse-static"
        /// DiSparse's pruning of a trained checkpoint (`--init`), then fine-tuning.
        case disparsePT = "disparse-pt"
    }

    /// Top-k over all of a pool's weights at once, or within each layer.
    public enum Scope: String, Sendable, Codable, CaseIterable {
        case global
        case perLayer = "per-layer"
    }

    /// How the tasks' masks combine on the shared trunk: DiSparse's union (a weight is pruned only
    /// when every task would prune it), or the intersection (kept only when every task keeps it).
    public enum Rule: String, Sendable, Codable, CaseIterable {
        case union, intersection
    }

    public var method: Method
    /// The fraction of the trunk's prunable weights removed, in [0, 1).
    public var sparsity: Double
    /// Batches the SNIP scores are summed over (DiSparse's default, 50).
    public var batches = 50
    public var scope = Scope.global
    public var rule = Rule.union
    /// Set when the masks are made: the keep ratio the calibration found, the trunk sparsity it
    /// reached, and the masks' fingerprint (checked on resume).
    public var keep: Double?
    public var trunkSparsity: Double?
    public var masksFingerprint: String?

    public init(method: Method, sparsity: Double) { (self.method, self.sparsity) = (method, sparsity) }

    /// Checks the values; errors name the option.
    public func validate() throws {
        guard sparsity.isFinite, sparsity >= 0, sparsity < 1 else {
            throw ConfigurationError("sparsity must be in [0, 1) (the fraction of the trunk's weights removed; 1 would remove them all), got \(sparsity)")
        }
        guard batches >= 1, batches <= 1_000_000 else { throw ConfigurationError("batches must be between 1 and 1000000, got \(batches)") }
    }
}
