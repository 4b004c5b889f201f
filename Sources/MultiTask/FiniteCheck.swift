import NN
import Tensors

/// Weights must be finite wherever they come from (a checkpoint to start from or to evaluate, a
/// run's snapshot): a NaN would otherwise surface steps later as a "loss became NaN" with the
/// wrong advice, or as metrics that look normal.
enum FiniteCheck {
    /// The name of the first tensor holding a NaN or an infinity, if any.
    static func firstNonFinite(_ tensors: ParameterSet) -> String? {
        tensors.first { _, tensor in tensor.withUnsafeBufferPointer { values in values.contains { !$0.isFinite } } }?.name
    }
}
