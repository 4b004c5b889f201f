import Data
import NN
import Tensors

/// Task relationships from the weights each task needs (the Meta-Sparse estimator, after DiSparse's
/// mask analysis): tasks whose SNIP masks on the shared trunk overlap rely on the same weights.
/// Per pair of tasks: the IoU |Mₐ ∩ M_b| / |Mₐ ∪ M_b| of their kept trunk weights per layer, its
/// mean over layers weighted by layer size (overall), the per-layer profile through the trunk's
/// depth, and Spearman's rank correlation of the importance scores themselves over the trunk's
/// weights, which does not depend on a keep ratio.
public enum MaskSimilarity {
    public struct Result: Sendable, Equatable, Codable {
        public var tasks: [String]
        /// The trunk's prunable layers, in depth order, and their sizes.
        public var layers: [String]
        public var layerSizes: [Int]
        /// `profile[l][a][b]`: the IoU of tasks a and b in layer l.
        public var profile: [[[Double]]]
        /// The layer-size-weighted mean IoU (symmetric, 1 on the diagonal).
        public var iou: AffinityMatrix
        /// Spearman's ρ of the tasks' scores over the trunk's weights.
        public var rank: AffinityMatrix
        public var keep: Double
    }

    /// IoU of two 0/1 masks (NaN when both are empty: nothing to compare).
    public static func iou(_ a: Tensor, _ b: Tensor) -> Double {
        var both = 0, either = 0
        for (x, y) in zip(a.scalars, b.scalars) {
            if x != 0 && y != 0 { both += 1 }
            if x != 0 || y != 0 { either += 1 }
        }
        return either == 0 ? .nan : Double(both) / Double(either)
    }

    /// Scores `model`'s tasks on `data` (SNIP over `batches` seeded batches) and measures them;
    /// the matrices record the seconds and CPU seconds spent.
    public static func estimate(model: MultiTaskModel, data: Dataset, batches: Int, batchSize: Int, seed: UInt64, keep: Double,
                                scope: PruningRequest.Scope = .global) throws -> Result {
        let started = ContinuousClock.now, cpuStarted = CPUTime.now()
        let (perTask, _) = try SNIPScores.compute(model: model, data: data, batches: batches, batchSize: batchSize, seed: seed)
        var result = try measure(tasks: model.tasks.map(\.name), perTask: perTask, trunk: SNIPScores.trunk(model), keep: keep, scope: scope)
        for matrix in [\Result.iou, \Result.rank] {
            result[keyPath: matrix].seconds = (ContinuousClock.now - started).seconds
            result[keyPath: matrix].computeSeconds = CPUTime.now() - cpuStarted
            result[keyPath: matrix].settings["batches"] = "\(batches)"
        }
        return result
    }

    /// Each task's own mask at `keep` (its top ⌊keep·n⌋ over trunk + head, as DiSparse ranks) and
    /// the pairwise measures over the trunk.
    public static func measure(tasks: [String], perTask: [ParameterSet], trunk: [String], keep: Double, scope: PruningRequest.Scope = .global) throws -> Result {
        guard tasks.count >= 2 else { throw ConfigurationError("mask similarity needs at least two tasks, got \(tasks.count)") }
        guard keep > 0, keep < 1 else { throw ConfigurationError("mask similarity: keep must be in (0, 1), got \(keep)") }
        let masks = perTask.map { PruningMasks.Pool(scores: $0, scope: scope).masks(keep: keep) }
        let n = tasks.count
        let profile = trunk.map { layer in (0..<n).map { a in (0..<n).map { b in a == b ? 1 : iou(masks[a][layer]!, masks[b][layer]!) } } }
        let sizes = trunk.map { perTask[0][$0]!.count }
        let overall = (0..<n).map { a in (0..<n).map { b -> Double in
            guard a != b else { return 1 }
            var sum = 0.0, weight = 0.0
            for (l, size) in sizes.enumerated() where !profile[l][a][b].isNaN { sum += Double(size) * profile[l][a][b]; weight += Double(size) }
            return weight > 0 ? sum / weight : .nan
        } }
        let flat = perTask.map { scores in trunk.flatMap { scores[$0]!.scalars.map(Double.init) } }
        let rho = (0..<n).map { a in (0..<n).map { b in a == b ? 1 : RankCorrelation.spearman(flat[a], flat[b]) } }
        let settings = ["keep": String(format: "%.6g", keep), "scope": scope.rawValue]  // 1 − 0.9 reads 0.1, not 0.09999999999999998
        return Result(tasks: tasks, layers: trunk, layerSizes: sizes, profile: profile,
                      iou: AffinityMatrix(tasks: tasks, values: overall, method: "snip-iou", settings: settings),
                      rank: AffinityMatrix(tasks: tasks, values: rho, method: "snip-rank", settings: settings), keep: keep)
    }
}

extension MaskSimilarity.Result {
    /// The overall IoU and rank matrices and the per-layer IoU profile, as Markdown.
    public var markdown: String {
        func number(_ x: Double) -> String { x.isNaN ? "–" : String(format: "%.3f", x) }
        func table(_ matrix: AffinityMatrix) -> String {
            var out = "| | " + tasks.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: tasks.count + 1) + "\n"
            for (i, row) in matrix.values.enumerated() { out += "| \(tasks[i]) | " + row.map(number).joined(separator: " | ") + " |\n" }
            return out
        }
        var out = "# Task similarity from SNIP masks (keep \(number(keep)))\n\n## Mask IoU on the trunk (layers weighted by size)\n\n" + table(iou)
        out += "\n## Spearman's ρ of the SNIP scores on the trunk\n\n" + table(rank)
        let pairs = tasks.indices.flatMap { a in tasks.indices.filter { $0 > a }.map { (a, $0) } }
        out += "\n## IoU per layer, through the trunk's depth\n\n| layer | weights | " + pairs.map { "\(tasks[$0.0])–\(tasks[$0.1])" }.joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: "---|", count: pairs.count + 2) + "\n"
        for (l, layer) in layers.enumerated() {
            out += "| \(layer) | \(layerSizes[l]) | " + pairs.map { number(profile[l][$0.0][$0.1]) }.joined(separator: " | ") + " |\n"
        }
        return out
    }
}
