/// What `mtk prune` does, saved with the run (`config.json`) so a pruned run resumes with its masks.
public struct PruningRequest: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Plain SNIP (Lee et al. 2019) on the summed loss: one mask for the whole network.
        case snip
        /// DiSparse static (Sun et al. 2022): per-task SNIP masks at initialisation, combined.
        case disparseStatic = "disparse-static"
        /// DiSparse's pruning of a trained checkpoint (`--init`), then fine-tuning.
        case disparsePT = "disparse-pt"
        /// DiSparse's dynamic sparse training: static masks to start, then drop and regrow on a
        /// schedule (`DynamicMasks`).
        case disparseDynamic = "disparse-dynamic"
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
    /// Dynamic: steps between mask updates (nil: 50, DiSparse's) and the fraction of the run's
    /// steps after which the masks stay fixed (nil: 0.75, DiSparse's 15,000 of 20,000).
    public var updateEvery: Int?
    public var endFraction: Double?
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
        if let updateEvery { guard updateEvery >= 1 else { throw ConfigurationError("update-every must be at least 1 step, got \(updateEvery)") } }
        if let endFraction { guard endFraction > 0, endFraction <= 1 else { throw ConfigurationError("end-fraction must be in (0, 1], got \(endFraction)") } }
        if method != .disparseDynamic && (updateEvery != nil || endFraction != nil) {
            throw ConfigurationError("update-every and end-fraction apply to disparse-dynamic only")
        }
    }
}
