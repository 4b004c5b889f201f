import Tensors

extension Loss {
    /// Binary cross-entropy on logits, as PyTorch's `F.binary_cross_entropy_with_logits`:
    /// ℓ = (1 − t)·x + (1 + (p − 1)·t)·(log(1 + e^{−|x|}) + max(−x, 0)), stable for any x;
    /// `posWeight` p (broadcast over the last axis) up-weights positives. Targets may be soft.
    public static func binaryCrossEntropyWithLogits(
        _ logits: Tensor, _ targets: Tensor, posWeight: Tensor? = nil, reduction: Reduction = .mean
    ) -> Tensor {
        guard logits.shape == targets.shape else {
            fatalError("binaryCrossEntropyWithLogits: logits \(logits.shape) and targets \(targets.shape) must have the same shape")
        }
        let softplusNegative = ((-logits.abs()).exp() + 1).log() + (-logits).relu()
        let losses: Tensor
        if let posWeight {
            losses = (1 - targets) * logits + ((posWeight - 1) * targets + 1) * softplusNegative
        } else {
            losses = (1 - targets) * logits + softplusNegative
        }
        return reduction.apply(losses)
    }
}
