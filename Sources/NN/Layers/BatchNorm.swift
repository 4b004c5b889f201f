import Tensors

/// Batch normalisation over the channel axis 1 of [N, C] or [N, C, H, W] inputs (PyTorch's
/// `nn.BatchNorm1d` / `nn.BatchNorm2d`). Training: normalise by the batch mean and biased variance
/// and update running_mean/running_var (unbiased) with `momentum`; evaluation: use the running ones.
public final class BatchNorm: Module {
    public let features: Int, eps: Float, momentum: Float, spatialRank: Int

    /// `spatialRank` 0 for BatchNorm1d on [N, C], 2 for BatchNorm2d on [N, C, H, W].
    public init(_ features: Int, spatialRank: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        (self.features, self.eps, self.momentum, self.spatialRank) = (features, eps, momentum, spatialRank)
        super.init()
        registerParameter("weight", Tensor.ones([features]))
        registerParameter("bias", Tensor.zeros([features]))
        registerBuffer("running_mean", Tensor.zeros([features]))
        registerBuffer("running_var", Tensor.ones([features]))
        registerBuffer("num_batches_tracked", Tensor(0))
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        guard x.rank == 2 + spatialRank, x.shape[1] == features else {
            fatalError("\(summary): expected input [N, \(features)\(spatialRank == 2 ? ", H, W" : "")], got \(x.shape)")
        }
        let axes = [0] + (0..<spatialRank).map { $0 + 2 }
        let shape = [1, features] + [Int](repeating: 1, count: spatialRank)
        let mean: Tensor, variance: Tensor
        if isTraining {
            mean = x.mean(alongAxes: axes, keepingDimensions: true)
            variance = x.variance(alongAxes: axes, correction: 0, keepingDimensions: true)
            let n = Float(axes.map { x.shape[$0] }.reduce(1, *))
            withoutGradients {
                let unbiased = variance.detached().reshaped([features]) * (n / Swift.max(n - 1, 1))
                setBuffer("running_mean", buffer("running_mean") * (1 - momentum) + mean.detached().reshaped([features]) * momentum)
                setBuffer("running_var", buffer("running_var") * (1 - momentum) + unbiased * momentum)
                setBuffer("num_batches_tracked", buffer("num_batches_tracked") + 1)
            }
        } else {
            mean = buffer("running_mean").reshaped(shape)
            variance = buffer("running_var").reshaped(shape)
        }
        let normalized = (x - mean) / (variance + eps).sqrt()
        return normalized * parameter("weight").reshaped(shape) + parameter("bias").reshaped(shape)
    }

    public override var summary: String {
        "BatchNorm\(spatialRank == 2 ? "2d" : "1d")(\(features), eps=\(eps), momentum=\(momentum), affine=True, track_running_stats=True)"
    }
}
