import Testing
@testable import Tensors

/// Finite-difference gradient checking.
///
/// The function's output is reduced to a scalar L = Σ w ⊙ f(x) with fixed random weights w (so
/// every output element matters, each differently), summed in Double. Each input element is
/// perturbed by ±eps and (L(x+eps) − L(x−eps)) / 2eps is compared with the analytic gradient
/// from the tape. Inputs should keep clear of kinks (relu at 0, ties in max) by more than eps.
func checkGradients(
    _ inputs: [Tensor], eps: Float = 1e-2, rtol: Float = 1e-2, atol: Float = 2e-3,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor
) {
    var rng = RandomGenerator(seed: 99)
    let probe = withoutGradients { f(inputs) }
    let weights = Tensor.uniform(probe.shape, low: -1, high: 1, using: &rng)
    func loss(_ xs: [Tensor]) -> Double {
        let out = withoutGradients { f(xs) }
        return zip(out.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let leaves = inputs.map { $0.requiringGradient() }
    let analytic = f(leaves).gradients(wrt: leaves, seed: weights)
    for (k, input) in inputs.enumerated() {
        #expect(analytic[k].shape == input.shape, "gradient \(k) has shape \(analytic[k].shape), input \(input.shape)", sourceLocation: sourceLocation)
        var worst: (Int, Float, Float)? = nil
        for i in 0..<input.count {
            var plus = inputs, minus = inputs
            plus[k].storage[i] += eps
            minus[k].storage[i] -= eps
            let numeric = Float((loss(plus) - loss(minus)) / Double(2 * eps))
            let exact = analytic[k].storage[i]
            if Swift.abs(numeric - exact) > atol + rtol * Swift.abs(numeric), worst == nil { worst = (i, exact, numeric) }
        }
        #expect(worst == nil, "input \(k) (shape \(input.shape)): element \(worst?.0 ?? -1) analytic \(worst?.1 ?? 0) vs numeric \(worst?.2 ?? 0)", sourceLocation: sourceLocation)
    }
}

/// Uniform values whose magnitudes lie in [0.2, 1] with random signs: clear of 0 (the kink of
/// relu, abs, sign) by far more than the finite-difference step.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor(shape: shape, scalars: (0..<shape.product).map { _ in
        (0.2 + 0.8 * rng.nextUniform()) * (rng.nextUniform() < 0.5 ? -1 : 1)
    })
}

/// Distinct values spaced at least 0.05 apart in random order: no ties for max/min/pooling.
func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.product
    return Tensor(shape: shape, scalars: rng.permutation(n).map { Float($0) * 0.05 - Float(n) * 0.025 })
}

func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Max |a − b| / (1 + |b|) over elements; shapes must match.
func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
}
