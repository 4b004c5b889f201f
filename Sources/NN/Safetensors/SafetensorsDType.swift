/// The element types this toolkit reads and writes; every one converts to and from `Float`.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// IEEE binary32, the toolkit's native element type.
    case f32 = "F32"
    /// IEEE binary16: 5 exponent bits, 10 fraction bits.
    case f16 = "F16"
    /// bfloat16: the top half of a binary32 (8 exponent bits, 7 fraction bits).
    case bf16 = "BF16"
    /// IEEE binary64; read by rounding to the nearest `Float`.
    case f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .f64: 8
        }
    }

    /// Dtype names of the format that are valid but hold no floating-point data this toolkit uses.
    static let knownUnsupported: Set<String> = [
        "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64",
        "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    ]
}
