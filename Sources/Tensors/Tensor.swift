/// An n-dimensional array of `Float` in contiguous row-major storage.
///
/// `Tensor` is a value type with copy-on-write storage, so it is `Sendable` and cheap to pass
/// around; a mutation copies only when the storage is shared. A tensor that takes part in
/// reverse-mode differentiation also carries the node that produced it (see `requiringGradient()`).
public struct Tensor: Sendable {
    /// The extent of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// Row-major elements; `storage.count == shape.product`.
    @usableFromInline internal var storage: [Float]
    /// The autograd node that produced this value, if it depends on a tensor that requires gradients.
    @usableFromInline internal var node: GradNode?

    @usableFromInline
    internal init(shape: [Int], storage: [Float], node: GradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        for d in shape where d < 0 { fatalError("Tensor(shape:scalars:): negative extent in shape \(shape)") }
        guard scalars.count == shape.reduce(1, *) else {
            fatalError("Tensor(shape:scalars:): shape \(shape) holds \(shape.reduce(1, *)) elements, got \(scalars.count) scalars")
        }
        self.init(shape: shape, storage: scalars)
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) { self.init(shape: [], storage: [scalar]) }

    /// A rank-1 tensor.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], storage: scalars) }

    /// A rank-2 tensor from equal-length rows.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == columns }) else {
            fatalError("Tensor(_ rows:): rows have different lengths \(rows.map(\.count))")
        }
        self.init(shape: [rows.count, columns], storage: rows.flatMap { $0 })
    }

    /// A tensor whose elements are written by `body` into uninitialised storage of `count` elements.
    @inlinable
    internal static func build(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let count = shape.reduce(1, *)
        let storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { body(buffer.baseAddress!) }
            initialized = count
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// The elements in row-major order.
    public var scalars: [Float] { storage }
    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// The single element of a one-element tensor (PyTorch's `item()`).
    public var scalar: Float {
        guard storage.count == 1 else { fatalError("scalar: tensor of shape \(shape) has \(storage.count) elements, expected 1") }
        return storage[0]
    }

    /// The element at a full multi-index.
    public subscript(indices: Int...) -> Float {
        get { storage[flatIndex(indices, op: "subscript")] }
        set { storage[flatIndex(indices, op: "subscript")] = newValue }
    }

    private func flatIndex(_ indices: [Int], op: String) -> Int {
        guard indices.count == shape.count else {
            fatalError("\(op): \(indices.count) indices for a tensor of shape \(shape)")
        }
        var flat = 0
        for (axis, i) in indices.enumerated() {
            guard i >= 0 && i < shape[axis] else { fatalError("\(op): index \(indices) out of range for shape \(shape)") }
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// Calls `body` with a pointer to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the elements (copying first if the storage is shared).
    /// The tensor leaves any autograd graph: an in-place change is not differentiable.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        node = nil
        return try storage.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: Equatable {
    /// Equal shapes and bitwise-equal-valued elements (autograd state is ignored; NaN ≠ NaN).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.storage == rhs.storage
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        func render(_ axis: Int, _ offset: Int) -> String {
            if axis == shape.count { return "\(storage[offset])" }
            let stride = shape[(axis + 1)...].reduce(1, *)
            let n = shape[axis]
            let shown: [Int] = n > 8 ? Array(0..<3) + [-1] + Array((n - 3)..<n) : Array(0..<n)
            return "[" + shown.map { $0 < 0 ? "..." : render(axis + 1, offset + $0 * stride) }.joined(separator: ", ") + "]"
        }
        return "Tensor(shape: \(shape), \(storage.isEmpty ? "[]" : render(0, 0)))"
    }
}
