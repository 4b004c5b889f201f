import Tensors

extension Loss {
    /// Mean squared error, (x − y)².
    public static func mse(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        requireSameShape("mse", prediction, target)
        return reduction.apply((prediction - target).squared())
    }

    /// Mean absolute error, |x − y| (gradient 0 where they are equal, as PyTorch's).
    public static func l1(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        requireSameShape("l1", prediction, target)
        return reduction.apply((prediction - target).abs())
    }

    /// Huber loss: ½d² where |d| < δ, else δ(|d| − ½δ), with d = x − y.
    public static func huber(_ prediction: Tensor, _ target: Tensor, delta: Float = 1, reduction: Reduction = .mean) -> Tensor {
        requireSameShape("huber", prediction, target)
        let d = prediction - target
        let quadratic = d.squared() * 0.5
        let linear = (d.abs() - 0.5 * delta) * delta
        return reduction.apply(Tensor.where(d.abs().detached() .< delta, quadratic, linear))
    }

    private static func requireSameShape(_ op: String, _ a: Tensor, _ b: Tensor) {
        guard a.shape == b.shape else { fatalError("\(op): prediction \(a.shape) and target \(b.shape) must have the same shape") }
    }
}
