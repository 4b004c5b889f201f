/// The element types this toolkit reads and writes; every one converts to and from `Float`.
/// Integer types (PyTorch stores labels and BatchNorm's `num_batches_tracked` as I64) read
/// exactly up to 2²⁴ in magnitude; writing one rounds each value to the nearest integer.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// IEEE binary32, the toolkit's native element type.
    case f32 = "F32"
    /// IEEE binary16: 5 exponent bits, 10 fraction bits.
    case f16 = "F16"
    /// bfloat16: the top half of a binary32 (8 exponent bits, 7 fraction bits).
    case bf16 = "BF16"
    /// IEEE binary64; read by rounding to the nearest `Float`.
    case f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8"
    /// One byte per element, 0 or 1.
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .f64, .i64: 8
        case .i8, .u8, .bool: 1
        }
    }

    /// Dtype names of the format that are valid but hold no floating-point data this toolkit uses.
    static let knownUnsupported: Set<String> = [
        "U16", "U32", "U64",
        "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    ]
}
