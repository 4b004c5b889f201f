import Data
import Foundation
import Tensors

/// One evaluation number and the direction in which it is better.
public struct Metric: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var higherIsBetter: Bool
}

/// Per-kind evaluation metrics, computed over the examples whose label is present:
/// multi-class → accuracy and macro-F1; binary → accuracy and AUROC; regression → MAE and RMSE.
public enum Metrics {
    /// Each metric's direction by name (`loss` too), for rankings made before any value exists.
    public static let higherIsBetter: [String: Bool] = ["accuracy": true, "macro_f1": true, "auroc": true, "mae": false, "rmse": false, "loss": false]

    /// Metrics of one task from its head outputs [N, outputs] and labels [N] (NaN = missing).
    public static func compute(_ task: TaskSpec, outputs: Tensor, labels: Tensor) -> [Metric] {
        let n = labels.count, width = outputs.count / Swift.max(n, 1)
        let rows = outputs.scalars, y = labels.scalars
        let present = (0..<n).filter { !y[$0].isNaN }
        switch task.kind {
        case .multiclass(let classes):
            let predicted = present.map { i in argmax(rows, i * width, width) }
            let truth = present.map { Int(y[$0]) }
            return [Metric(name: "accuracy", value: accuracy(predicted, truth), higherIsBetter: true),
                    Metric(name: "macro_f1", value: macroF1(predicted, truth, classes: classes), higherIsBetter: true)]
        case .binary:
            // Score of the positive class: logit difference (2 logits) or the logit itself.
            let scores = present.map { i in width == 2 ? Double(rows[i * 2 + 1] - rows[i * 2]) : Double(rows[i]) }
            let truth = present.map { Int(y[$0]) }
            return [Metric(name: "accuracy", value: accuracy(scores.map { $0 > 0 ? 1 : 0 }, truth), higherIsBetter: true),
                    Metric(name: "auroc", value: auroc(scores, truth), higherIsBetter: true)]
        case .regression:
            let errors = present.map { Double(rows[$0 * width]) - Double(y[$0]) }
            // No labelled example: NaN ("no labels"), never an error of 0 that reads as perfect.
            let count = errors.isEmpty ? Double.nan : Double(errors.count)
            return [Metric(name: "mae", value: errors.reduce(0) { $0 + Swift.abs($1) } / count, higherIsBetter: false),
                    Metric(name: "rmse", value: (errors.reduce(0) { $0 + $1 * $1 } / count).squareRoot(), higherIsBetter: false)]
        }
    }

    /// The names of the metrics `compute` gives for a task of this kind.
    public static func names(_ kind: TaskKind) -> [String] {
        switch kind {
        case .multiclass: ["accuracy", "macro_f1"]
        case .binary: ["accuracy", "auroc"]
        case .regression: ["mae", "rmse"]
        }
    }

    static func argmax(_ values: [Float], _ start: Int, _ count: Int) -> Int {
        var best = 0
        for j in 1..<Swift.max(count, 1) where values[start + j] > values[start + best] { best = j }
        return best
    }

    /// Fraction of equal pairs.
    public static func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double {
        truth.isEmpty ? .nan : Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Mean over classes of 2·TP/(2·TP + FP + FN); classes absent from both predictions and
    /// labels are skipped (scikit-learn's zero_division=0 would count them as 0).
    public static func macroF1(_ predicted: [Int], _ truth: [Int], classes: Int) -> Double {
        var tp = [Int](repeating: 0, count: classes), fp = tp, fn = tp
        for (p, t) in zip(predicted, truth) {
            if p == t { tp[p] += 1 } else { fp[p] += 1; fn[t] += 1 }
        }
        let scores = (0..<classes).compactMap { c -> Double? in
            let denominator = 2 * tp[c] + fp[c] + fn[c]
            return denominator == 0 ? nil : Double(2 * tp[c]) / Double(denominator)
        }
        return scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count)
    }

    /// Area under the ROC curve by the rank statistic (Mann–Whitney U), ties counted as half.
    /// NaN when only one class is present.
    public static func auroc(_ scores: [Double], _ truth: [Int]) -> Double {
        let positives = truth.filter { $0 == 1 }.count, negatives = truth.count - positives
        guard positives > 0 && negatives > 0 else { return .nan }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where truth[order[k]] == 1 { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }
}
