import Tensors

/// One mini-batch: a contiguous copy of some examples with their labels, and which examples
/// they were so that metrics and logs can refer back to the dataset.
public struct Batch: Sendable {
    /// The examples, `[B, example shape...]`.
    public var inputs: Tensor
    /// Task name → labels of shape `[B]` (NaN where a label is missing).
    public var labels: [String: Tensor]
    /// The dataset positions of the `B` examples, in batch order.
    public var indices: [Int]

    /// A batch from its parts.
    public init(inputs: Tensor, labels: [String: Tensor], indices: [Int]) {
        self.inputs = inputs
        self.labels = labels
        self.indices = indices
    }

    /// The number of examples in the batch.
    public var count: Int { indices.count }
}
