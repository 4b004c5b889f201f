/// One tensor's header entry: its name, element type, shape and bytes in the data buffer.
public struct SafetensorsEntry: Sendable, Equatable {
    /// The tensor's name (its key in the header).
    public let name: String
    /// The stored element type.
    public let dtype: SafetensorsDType
    /// The extent of each axis; `[]` is a scalar.
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the data buffer (the header's `data_offsets`).
    public let byteRange: Range<Int>

    /// The number of elements, the product of `shape`.
    public var elementCount: Int { shape.reduce(1, *) }
}
