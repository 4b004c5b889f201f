import Foundation
import NN
import Tensors

/// Gradient-norm clipping, as PyTorch's `clip_grad_norm_`.
public enum Clipping {
    /// Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the p-norm of the
    /// per-tensor p-norms (p = ∞: the largest |g|). Returns the clipped gradients and ‖g‖.
    public static func clipGradientNorm(_ gradients: ParameterSet, maxNorm: Float, normType: Float = 2) -> (gradients: ParameterSet, totalNorm: Float) {
        let total: Float
        if normType.isInfinite {
            total = gradients.map { $0.abs().max() }.reduce(into: Float(0)) { $0 = Swift.max($0, $1.1.scalar) }
        } else {
            let norms = gradients.map { t in Tensor(Float(t.scalars.reduce(0.0) { $0 + Foundation.pow(Double(Swift.abs($1)), Double(normType)) }.pow(1 / Double(normType)))) }
            total = Float(norms.reduce(into: 0.0) { $0 += Foundation.pow(Double($1.1.scalar), Double(normType)) }.pow(1 / Double(normType)))
        }
        let coefficient = Swift.min(maxNorm / (total + 1e-6), 1)
        return (coefficient < 1 ? gradients * coefficient : gradients, total)
    }
}

private extension Double {
    func pow(_ e: Double) -> Double { Foundation.pow(self, e) }
}
