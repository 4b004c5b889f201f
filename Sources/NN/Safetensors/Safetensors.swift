/// Reading and writing tensors in the safetensors format: an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON describing each tensor, then the raw little-endian data.
public enum Safetensors {
    /// The largest header length accepted when reading (as in the reference implementation).
    public static let maximumHeaderBytes = 100_000_000

    /// The header key that holds the file's string-to-string metadata.
    static let metadataKey = "__metadata__"

    /// "F32, F16, BF16, F64", for error messages.
    static let supportedDTypeList = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")

    /// Whether `a` sorts before `b` by Unicode code points (the order Python's `sort_keys` uses).
    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
}
