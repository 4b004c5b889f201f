import Foundation
import Tensors

/// Copies whole examples (rows along axis 0) out of a tensor with one `memcpy` per row; the
/// gather behind `subset` and every mini-batch, so it stays on the training hot path.
enum RowGather {
    /// The rows of `source` at `indices`, in that order, as a tensor `[indices.count, row shape...]`.
    /// Stops with a message when an index is out of range (a programming error, like an array index).
    static func rows(of source: Tensor, at indices: ArraySlice<Int>) -> Tensor {
        require(source.rank >= 1, "RowGather: tensor of shape \(source.shape) has no example axis")
        let available = source.shape[0]
        let rowSize = source.shape.dropFirst().reduce(1, *)
        var shape = source.shape
        shape[0] = indices.count
        let total = indices.count * rowSize
        let storage = source.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: total) { dst, initialized in
                indices.withUnsafeBufferPointer { idx in
                    for i in idx where i < 0 || i >= available {
                        fatalError("RowGather: index \(i) is out of range for \(available) examples")
                    }
                    guard total > 0, let from = src.baseAddress, let to = dst.baseAddress else { return }
                    if rowSize == 1 {
                        for (k, i) in idx.enumerated() { to[k] = from[i] }
                    } else {
                        let bytes = rowSize * MemoryLayout<Float>.stride
                        for (k, i) in idx.enumerated() { memcpy(to + k * rowSize, from + i * rowSize, bytes) }
                    }
                }
                initialized = total
            }
        }
        return Tensor(shape: shape, scalars: storage)
    }
}
