import Tensors

extension Loss {
    /// Cross-entropy of logits [N, C] against integer class targets [N] (held as Float), as
    /// PyTorch's `F.cross_entropy`: targets equal to `ignoreIndex` (missing labels) contribute
    /// nothing; `weight` [C] scales each sample by its target class's weight, and the mean divides
    /// by the sum of those weights; `labelSmoothing` ε mixes in the uniform target:
    /// loss = (1−ε)·nll + ε/C · Σ_c −w_c·log p_c (normalised like the nll term). Weights are
    /// constants (not differentiated). One fused op (`Tensor.softmaxCrossEntropy`).
    public static func crossEntropy(
        _ logits: Tensor, _ targets: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
        labelSmoothing: Float = 0, reduction: Reduction = .mean
    ) -> Tensor {
        guard logits.rank == 2, targets.shape == [logits.shape[0]] else {
            fatalError("crossEntropy: expected logits [N, C] and targets [N], got \(logits.shape) and \(targets.shape)")
        }
        let classes = logits.shape[1]
        if let weight, weight.shape != [classes] { fatalError("crossEntropy: weight must be [\(classes)], got \(weight.shape)") }
        var labels = [Int](repeating: -1, count: targets.count)
        var normalizer: Float = 0
        for (i, t) in targets.scalars.enumerated() {
            guard t.isFinite else { fatalError("crossEntropy: target \(t) at position \(i) is not a class index (use the ignore index \(ignoreIndex) for a missing label)") }
            let label = Int(t)
            if label == ignoreIndex { continue }
            guard Float(label) == t, label >= 0, label < classes else {
                fatalError("crossEntropy: target \(t) at position \(i) is not a class in 0..<\(classes) or the ignore index \(ignoreIndex)")
            }
            labels[i] = label
            normalizer += weight?.scalars[label] ?? 1
        }
        let perExample = Tensor.softmaxCrossEntropy(logits, labels: labels, classWeights: weight?.scalars, labelSmoothing: labelSmoothing)
        switch reduction {
        case .none: return perExample
        case .sum: return perExample.sum()
        case .mean: return perExample.sum() / normalizer
        }
    }
}

/// Loss functions, as PyTorch's `torch.nn.functional` ones.
public enum Loss {}
