import Data
import NN
import Tensors

/// Pruning masks (1 keeps a weight, 0 prunes it, by parameter name) from importance scores, and
/// DiSparse's multi-task rule (Sun et al. 2022, "DiSparse: Disentangled Sparsification for
/// Multitask Model Compression"): each task ranks the trunk and its own head by its own scores
/// and keeps its top ⌊keep·n⌋ (over the whole pool, or within each layer); the trunk keeps a
/// weight when the tasks' masks agree under the rule (union: pruned only if every task would
/// prune it — DiSparse's; or intersection), and each head keeps its own task's mask. The keep
/// ratio is calibrated by bisection so that the trunk's sparsity is the one requested (DiSparse
/// uses hand-tuned constants; the bisection is ours; its step is one weight of the trunk, so a
/// small trunk is matched as closely as its size allows). Ties at a cut go to the weight met
/// first. A layer the cut would empty keeps its best-scored weight in each output row (DiSparse
/// would cut the network there); the calibration counts those weights.
public enum PruningMasks {
    /// Scores `model` on `data` (SNIP, `request.batches` seeded batches of `batchSize`) and makes
    /// the masks; returns them with the request, its calibrated keep ratio and trunk sparsity filled in.
    public static func prune(_ request: PruningRequest, model: MultiTaskModel, data: Dataset, batchSize: Int, seed: UInt64) throws
        -> (masks: ParameterSet, request: PruningRequest) {
        try request.validate()
        let (perTask, joint) = try SNIPScores.compute(model: model, data: data, batches: request.batches, batchSize: batchSize, seed: seed)
        let made = try make(request, model: model, perTask: perTask, joint: joint)
        var done = request
        (done.keep, done.trunkSparsity) = (made.keep, made.trunkSparsity)
        return (made.masks, done)
    }

    /// The masks of `request` from SNIP scores (`SNIPScores.compute`), with the keep ratio found
    /// and the trunk sparsity reached. No layer is left without a weight (see above).
    public static func make(_ request: PruningRequest, model: MultiTaskModel, perTask: [ParameterSet], joint: ParameterSet) throws
        -> (masks: ParameterSet, keep: Double, trunkSparsity: Double) {
        try request.validate()
        let trunk = SNIPScores.trunk(model)
        guard !trunk.isEmpty else { throw ConfigurationError("pruning: the trunk has no linear or convolution weights to prune") }
        let pools: [Pool]
        switch request.method {
        case .snip: pools = [Pool(scores: joint, scope: request.scope)]
        case .disparseStatic, .disparsePT, .disparseDynamic: pools = perTask.map { Pool(scores: $0, scope: request.scope) }
        }
        func masks(_ keep: Double) -> ParameterSet {
            let kept = pools.map { $0.masks(keep: keep) }
            guard kept.count > 1 else { return kept[0] }
            var result = ParameterSet()
            for name in joint.names {
                let owners = kept.filter { $0[name] != nil }
                if name.hasPrefix("trunk.") {
                    var combined = owners.dropFirst().reduce(owners[0][name]!) { request.rule == .union ? Tensor.maximum($0, $1[name]!) : Tensor.minimum($0, $1[name]!) }
                    if !combined.scalars.contains(1) {
                        // The tasks' masks share nothing here: keep the best weight per row by their summed scores.
                        let summed = perTask.dropFirst().reduce(perTask[0][name]!) { $0 + $1[name]! }
                        combined = Tensor(shape: combined.shape, scalars: Pool.bestPerRow(summed))
                    }
                    result.insert(name, combined)
                } else if let own = owners.first {
                    result.insert(name, own[name]!)
                }
            }
            return result
        }
        func sparsity(_ masks: ParameterSet) -> Double { 1 - Double(keptCount(masks, trunk)) / Double(count(masks, trunk)) }
        // Trunk sparsity falls as keep grows: bisect keep until it is within 0.1% of the request.
        var low = 0.0, high = 1.0
        var best = (keep: 1.0, masks: masks(1), sparsity: sparsity(masks(1)))
        if request.sparsity > 0 {
            for _ in 0..<60 {
                let keep = (low + high) / 2
                let candidate = masks(keep), reached = sparsity(candidate)
                if Swift.abs(reached - request.sparsity) < Swift.abs(best.sparsity - request.sparsity) { best = (keep, candidate, reached) }
                if Swift.abs(reached - request.sparsity) <= 0.0005 { break }
                if reached > request.sparsity { low = keep } else { high = keep }
            }
        }
        return (best.masks, best.keep, best.sparsity)
    }

    /// Weights kept among `names`.
    static func keptCount(_ masks: ParameterSet, _ names: [String]) -> Int {
        names.reduce(0) { total, name in total + masks[name]!.scalars.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    }

    static func count(_ masks: ParameterSet, _ names: [String]) -> Int { names.reduce(0) { $0 + masks[$1]!.count } }

    /// The fraction of `names`' weights that `masks` prune.
    public static func sparsity(_ masks: ParameterSet, names: [String]) -> Double {
        1 - Double(keptCount(masks, names)) / Double(Swift.max(count(masks, names), 1))
    }

    /// One ranking: scores over tensors, ranked as one pool (global) or per tensor.
    struct Pool {
        /// The mask keeping the best-scored weight of each output row (the first on ties).
        static func bestPerRow(_ scores: Tensor) -> [Float] {
            let rows = Swift.max(scores.shape.first ?? 1, 1), width = scores.count / rows, values = scores.scalars
            var mask = [Float](repeating: 0, count: scores.count)
            for r in 0..<rows where width > 0 {
                let row = (r * width) ..< ((r + 1) * width)
                mask[row.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }!] = 1
            }
            return mask
        }

        let scores: ParameterSet
        let groups: [[String]]
        /// Each group's magnitudes, sorted in decreasing order.
        let sorted: [[Float]]

        init(scores: ParameterSet, scope: PruningRequest.Scope) {
            self.scores = scores
            groups = scope == .global ? [scores.names] : scores.names.map { [$0] }
            sorted = groups.map { names in names.flatMap { scores[$0]!.scalars }.sorted(by: >) }
        }

        /// The masks keeping each group's top ⌊keep·n⌋, ties to the first met.
        func masks(keep: Double) -> ParameterSet {
            var result = ParameterSet()
            for (names, ranked) in zip(groups, sorted) {
                let k = Swift.min(Int(keep * Double(ranked.count)), ranked.count)
                var cut: MagnitudeCut
                if k == 0 {
                    cut = MagnitudeCut(threshold: .max, equalToKeep: 0)
                } else {
                    let threshold = ranked[k - 1]
                    let above = ranked.prefix { $0 > threshold }.count
                    cut = MagnitudeCut(threshold: threshold.bitPattern & 0x7FFF_FFFF, equalToKeep: k - above)
                }
                for name in names {
                    let values = scores[name]!
                    var mask = values.scalars.map { cut.keeps($0) ? Float(1) : 0 }
                    if !mask.contains(1) { mask = Pool.bestPerRow(values) }
                    result.insert(name, Tensor(shape: values.shape, scalars: mask))
                }
            }
            return result
        }
    }
}
