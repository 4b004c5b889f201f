import Foundation

/// The merge methods, by their mergekit names; `fisher` is Fisher-weighted averaging (Matena &
/// Raffel 2022), which mergekit lacks.
public enum MergeMethod: String, Sendable, CaseIterable, Codable {
    case linear
    case taskArithmetic = "task_arithmetic"
    case ties
    case dareLinear = "dare_linear"
    case dareTies = "dare_ties"
    case fisher

    /// Whether the method merges differences from a base model (task vectors).
    public var needsBase: Bool { self != .linear && self != .fisher }
    /// Whether `density` means something to it (TIES's trim, DARE's drop).
    public var usesDensity: Bool { self == .ties || self == .dareLinear || self == .dareTies }
    /// mergekit's default for `normalize`: on for `linear` and `ties`, off for the others.
    public var normalizesByDefault: Bool { self == .linear || self == .ties }
}

/// Where TIES's magnitude trim ranks a task vector's entries: within each tensor (mergekit) or
/// over the whole model (the TIES paper's code).
public enum TrimScope: String, Sendable, CaseIterable, Codable {
    case perTensor = "per_tensor"
    case global
}

/// What a merge needs per model, in mergekit's vocabulary: `weight` (required) and `density`
/// (the fraction of a task vector's entries kept; 1 keeps all).
public struct MergeInput: Sendable, Equatable {
    public var weight: Double
    public var density: Double

    public init(weight: Double, density: Double = 1) { (self.weight, self.density) = (weight, density) }
}

/// A merge's global settings (mergekit's top-level `parameters`, plus ours).
public struct MergeSettings: Sendable, Equatable {
    public var method: MergeMethod
    /// λ, the scale of the merged task vector (`lambda`); 1 leaves it as it is.
    public var lambda: Double = 1
    /// Divide by the sum of the weights (`normalize`); the default is the method's (mergekit's).
    public var normalize: Bool
    public var trimScope: TrimScope = .perTensor
    /// DARE's drops depend only on this, the tensor's name, the model's position and the entry.
    public var seed: UInt64 = 0
    /// DARE: rescale the kept entries by 1/density (`rescale`, on by default).
    public var rescale = true
    /// Fisher merging: each Fisher is raised to at least this (`fisher_floor`, 1e-6 as in Matena & Raffel's code).
    public var fisherFloor: Double = 1e-6
    /// Fisher merging: divide each model's weight by its Fisher's L2 norm over the merged tensors.
    public var normalizeFishers = true
    /// Fisher merging: floor only the first model's Fisher, so entries no model is sensitive to
    /// come from it (`favor_target_model`, on in the paper's code).
    public var favorFirst = true

    public init(method: MergeMethod) { (self.method, self.normalize) = (method, method.normalizesByDefault) }

    /// The first model and merged tensor (name, entries) of which DARE's density keeps on average
    /// less than one entry: that tensor's task vector would vanish, leaving the base (TIES
    /// refuses the same per tensor).
    func vanishingDrop(_ inputs: [MergeInput], tensors: [(name: String, count: Int)]) -> (model: Int, message: String)? {
        guard method == .dareLinear || method == .dareTies else { return nil }
        for (i, input) in inputs.enumerated() {
            guard let tensor = tensors.first(where: { $0.count > 0 && input.density * Double($0.count) < 1 }) else { continue }
            let kept = input.density * Double(tensor.count)
            return (i, "\(input.density) keeps on average \(kept < 0.01 ? String(format: "%.1e", kept) : String(format: "%.2f", kept)) of the \(tensor.count) entries of '\(tensor.name)', so its task vector would vanish; raise the density, or leave the tensor out with 'exclude'")
        }
        return nil
    }

    /// Checks the settings and the per-model inputs together; errors name the parameter.
    func check(_ inputs: [MergeInput]) throws {
        guard !inputs.isEmpty else { throw ConfigurationError("merge: no models to merge") }
        guard lambda.isFinite else { throw ConfigurationError("merge: parameters.lambda: must be a finite number, got \(lambda)") }
        for (i, input) in inputs.enumerated() {
            guard input.weight.isFinite else { throw ConfigurationError("merge: models[\(i)].parameters.weight: must be a finite number, got \(input.weight)") }
            guard input.density > 0, input.density <= 1 else {
                throw ConfigurationError("merge: models[\(i)].parameters.density: must be in (0, 1], got \(input.density)")
            }
            if method == .fisher && input.weight <= 0 {
                throw ConfigurationError("merge: models[\(i)].parameters.weight: fisher merging needs positive weights, got \(input.weight)")
            }
        }
        if inputs.allSatisfy({ $0.weight == 0 }) {
            throw ConfigurationError("merge: models: every model's weight is 0, so the merge would be \(method.needsBase ? "the base model" : "nothing")")
        }
        // Weights far from 1 lose the result: 1e308s sum to infinity, subnormals lose their digits.
        for (i, input) in inputs.enumerated() where input.weight != 0 && !(1e-300...1e300).contains(Swift.abs(input.weight)) {
            throw ConfigurationError("merge: models[\(i)].parameters.weight: must be 0 or of magnitude 1e-300 to 1e300, got \(input.weight) (only the weights' ratios matter when normalising)")
        }
        let total = inputs.reduce(0) { $0 + $1.weight }
        if method == .linear && normalize && total == 0 {
            throw ConfigurationError("merge: models: the weights sum to 0, so linear's 'normalize' would divide by zero (set normalize: false, or other weights)")
        }
        if method == .fisher {
            // With a positive floor and positive weights, Σ wᵢFᵢ > 0 at every entry: no 0/0.
            // Above 1e30 the weighted sums Σ cᵢF̃ᵢθᵢ can overflow; a floor that high floors every Fisher anyway.
            guard fisherFloor > 0, fisherFloor <= 1e30 else { throw ConfigurationError("merge: parameters.fisher_floor: must be in (0, 1e30], got \(fisherFloor)") }
        }
    }
}
