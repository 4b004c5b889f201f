import Tensors

/// Seeded mini-batches for one epoch. The order of epoch `e` depends only on `(seed, e)`, never
/// on earlier epochs, so a run resumed at epoch `e` sees exactly the batches it would have seen.
public struct DataLoader: Sequence, Sendable {
    /// The examples being batched.
    public let dataset: Dataset
    /// Examples per batch (the last batch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether the epoch visits examples in a seeded random order rather than dataset order.
    public let shuffle: Bool
    /// Whether a final batch smaller than `batchSize` is skipped.
    public let dropLast: Bool
    /// The seed that, with `epoch`, fixes the order.
    public let seed: UInt64
    /// Which epoch this loader yields; set it to move to another epoch.
    public var epoch: Int

    /// A loader over `dataset` for one epoch.
    public init(_ dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64, epoch: Int = 0) {
        require(batchSize > 0, "DataLoader: batchSize must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.epoch = epoch
    }

    /// The number of batches the epoch yields.
    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The number of batches, which is exact.
    public var underestimatedCount: Int { batchCount }

    /// The dataset positions in the order this epoch visits them (all of them, even when
    /// `dropLast` skips the tail).
    public var order: [Int] {
        guard shuffle else { return Array(0..<dataset.count) }
        var rng = RandomGenerator(seed: SeedStream.derive(seed, "DataLoader.epoch", index: UInt64(bitPattern: Int64(epoch))))
        return rng.permutation(dataset.count)
    }

    /// An iterator over this epoch's batches.
    public func makeIterator() -> Iterator {
        Iterator(dataset: dataset, order: order, batchSize: batchSize, dropLast: dropLast)
    }

    /// Yields one epoch's batches, copying each batch's rows contiguously.
    public struct Iterator: IteratorProtocol, Sendable {
        private let inputs: Tensor
        private let labels: [(name: String, values: Tensor)]
        private let order: [Int]
        private let batchSize: Int
        private let dropLast: Bool
        private var position = 0

        fileprivate init(dataset: Dataset, order: [Int], batchSize: Int, dropLast: Bool) {
            inputs = dataset.inputs
            labels = dataset.tasks.compactMap { task in dataset.labels[task.name].map { (task.name, $0) } }
            self.order = order
            self.batchSize = batchSize
            self.dropLast = dropLast
        }

        /// The next batch, or nil at the end of the epoch.
        public mutating func next() -> Batch? {
            let end = Swift.min(position + batchSize, order.count)
            guard end > position, !(dropLast && end - position < batchSize) else { return nil }
            let slice = order[position..<end]
            position = end
            var batchLabels: [String: Tensor] = [:]
            batchLabels.reserveCapacity(labels.count)
            for (name, values) in labels { batchLabels[name] = RowGather.rows(of: values, at: slice) }
            return Batch(inputs: RowGather.rows(of: inputs, at: slice), labels: batchLabels, indices: Array(slice))
        }
    }
}
