import Foundation
import Data
import NN
import Tensors

/// DiSparse's dynamic variant (Sun et al. 2022), a multi-task RigL (Evci et al. 2020, "Rigging the
/// Lottery"): the masks are re-estimated during training. Every `every` steps before `end`, with
/// drop fraction α(t) = ½·½(1 + cos(π t / end)) (½ at the start, 0 at `end`), each layer ℓ of
/// target density d_ℓ
/// 1. drops by magnitude to round(d_ℓ(1 − α)·n_ℓ) active weights (no task signal), then
/// 2. regrows, for each task whose pool holds the layer (the trunk and its own head), the
///    round(d_ℓ·α·n_ℓ) pruned weights of largest |∂L_t/∂w| — the dense gradient at the current
///    sparse point, on the current batch — taking the union over tasks on the trunk;
/// and at `end` each layer is trimmed by magnitude to exactly round(d_ℓ·n_ℓ). Regrown weights start
/// at 0 (RigL; DiSparse restarts them from stale values). The densities are those of the initial
/// (DiSparse static) masks; DiSparse starts from random ERK masks. Ties go to the earlier entry.
/// While the masks move, each task's regrowth widens the trunk beyond its budget, so the run's
/// best epoch is chosen only among the epochs after the trim. Extending a finished run (`--epochs`)
/// recomputes `end` from the new total, reopening the schedule.
public final class DynamicMasks {
    public let every: Int
    public let end: Int
    /// Target density per layer.
    public let densities: [String: Double]
    private var trimmed = false

    /// The schedule of `request` for a run of `totalSteps` steps starting from `initial` masks.
    public init(request: PruningRequest, initial: ParameterSet, totalSteps: Int) {
        every = request.updateEvery ?? 50
        // At the latest the last step, so the trim always happens within the run.
        end = Swift.max(1, Swift.min(Int((request.endFraction ?? 0.75) * Double(totalSteps)), totalSteps - 1))
        densities = Dictionary(uniqueKeysWithValues: initial.map { name, mask in (name, Double(mask.scalars.reduce(0, +)) / Double(Swift.max(mask.count, 1))) })
    }

    /// The masks to train with from step `step` on, or nil when they stay as they are.
    func update(_ masks: ParameterSet, model: MultiTaskModel, batch: Batch, step: Int) -> ParameterSet? {
        if step >= end {
            guard !trimmed else { return nil }
            trimmed = true
            let weights = model.network.parameters()
            return masks.mapWithNames { name, mask in Self.keepLargest(weights[name]!, among: mask, count: count(name, mask, 1)) }
        }
        guard step % every == 0 else { return nil }
        let alpha = 0.25 * (1 + Foundation.cos(Double.pi * Double(step) / Double(end)))
        let names = masks.names
        let (_, gradients) = model.preservingState { model.network.valuesAndGradients(of: names) { model.losses(batch) } }
        let weights = model.network.parameters()
        var result = ParameterSet()
        for (name, mask) in masks {
            let dropped = Self.keepLargest(weights[name]!, among: mask, count: count(name, mask, 1 - alpha))
            let grow = Int((densities[name]! * alpha * Double(mask.count)).rounded())
            var grown = dropped.scalars
            for (t, task) in model.tasks.enumerated() where SNIPScores.inPool(name, of: task.name) {
                let pick = Self.keepLargest(gradients[t][name]!, among: Tensor(shape: mask.shape, scalars: dropped.scalars.map { 1 - $0 }), count: grow)
                for (j, value) in pick.scalars.enumerated() where value == 1 { grown[j] = 1 }
            }
            result.insert(name, Tensor(shape: mask.shape, scalars: grown))
        }
        return result
    }

    /// round(d·fraction·n), at least 1.
    private func count(_ name: String, _ mask: Tensor, _ fraction: Double) -> Int {
        Swift.max(1, Int((densities[name]! * fraction * Double(mask.count)).rounded()))
    }

    /// The mask keeping the `count` entries of largest |value| among those `among` marks (1).
    static func keepLargest(_ values: Tensor, among: Tensor, count: Int) -> Tensor {
        let v = values.scalars, allowed = among.scalars
        let candidates = v.indices.filter { allowed[$0] != 0 }.sorted { Swift.abs(v[$0]) > Swift.abs(v[$1]) || (Swift.abs(v[$0]) == Swift.abs(v[$1]) && $0 < $1) }
        var mask = [Float](repeating: 0, count: v.count)
        for j in candidates.prefix(count) { mask[j] = 1 }
        return Tensor(shape: values.shape, scalars: mask)
    }
}
