import Tensors

extension Loss {
    /// Cross-entropy of logits [N, C] against integer class targets [N] (held as Float), as
    /// PyTorch's `F.cross_entropy`: targets equal to `ignoreIndex` (missing labels) contribute
    /// nothing; `weight` [C] scales each sample by its target class's weight, and the mean divides
    /// by the sum of those weights; `labelSmoothing` ε mixes in the uniform target:
    /// loss = (1−ε)·nll + ε/C · Σ_c −w_c·log p_c (normalised like the nll term).
    public static func crossEntropy(
        _ logits: Tensor, _ targets: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
        labelSmoothing: Float = 0, reduction: Reduction = .mean
    ) -> Tensor {
        guard logits.rank == 2, targets.shape == [logits.shape[0]] else {
            fatalError("crossEntropy: expected logits [N, C] and targets [N], got \(logits.shape) and \(targets.shape)")
        }
        let classes = logits.shape[1]
        if let weight, weight.shape != [classes] { fatalError("crossEntropy: weight must be [\(classes)], got \(weight.shape)") }
        var keep = [Float](), safe = [Float]()
        for (i, t) in targets.scalars.enumerated() {
            let label = Int(t)
            if label == ignoreIndex { keep.append(0); safe.append(0); continue }
            guard Float(label) == t, label >= 0, label < classes else {
                fatalError("crossEntropy: target \(t) at position \(i) is not a class in 0..<\(classes) or the ignore index \(ignoreIndex)")
            }
            keep.append(1)
            safe.append(t)
        }
        let mask = Tensor(keep)
        let labels = Tensor(safe)
        let logp = logits.logSoftmax(alongAxis: 1)
        let sampleWeight = (weight.map { $0.gather(axis: 0, indices: labels) } ?? Tensor.ones([labels.count])) * mask
        let nll = -logp.gather(axis: 1, indices: labels.reshaped([-1, 1])).reshaped([-1]) * sampleWeight
        let normalizer = sampleWeight.sum()
        func reduce(_ perSample: Tensor) -> Tensor {
            switch reduction {
            case .none: perSample
            case .sum: perSample.sum()
            case .mean: perSample.sum() / normalizer
            }
        }
        guard labelSmoothing > 0 else { return reduce(nll) }
        let classWeighted = weight.map { logp * $0 } ?? logp
        let smooth = -classWeighted.sum(alongAxis: 1) * mask
        return reduce(nll) * (1 - labelSmoothing) + reduce(smooth) * (labelSmoothing / Float(classes))
    }
}

/// Loss functions, as PyTorch's `torch.nn.functional` ones.
public enum Loss {}
