/// A safetensors file or checkpoint index that breaks a rule of the format, or a write request
/// that cannot be honoured. Every message names the file, the rule, and what was expected and found.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// No file exists at the path.
    case fileNotFound(path: String)
    /// The path exists but cannot be read as a file (a directory, no permission, an I/O error).
    case unreadableFile(path: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case fileTooShort(path: String, size: Int)
    /// The header length exceeds `Safetensors.maximumHeaderBytes`.
    case headerTooLarge(path: String, claimed: UInt64)
    /// The header length runs past the end of the file; `available` is the file size minus 8.
    case headerPastEndOfFile(path: String, claimed: UInt64, available: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8(path: String)
    /// The header is not valid JSON; `reason` gives the byte offset and the problem.
    case invalidHeaderJSON(path: String, reason: String)
    /// The header is JSON but not an object; `found` is its JSON type.
    case headerNotObject(path: String, found: String)
    /// A tensor name appears twice in a header (or in a write request).
    case duplicateTensorName(path: String, name: String)
    /// A tensor's entry is not a JSON object.
    case entryNotObject(path: String, tensor: String, found: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A tensor's entry field has the wrong JSON type (or appears more than once).
    case invalidField(path: String, tensor: String, field: String, expected: String, found: String)
    /// A dtype name that the format does not define.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A dtype of the format that this toolkit does not read (integers, booleans, 8-bit floats...).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A shape with a negative extent.
    case negativeExtent(path: String, tensor: String, shape: [Int])
    /// A shape whose byte size does not fit in `Int`.
    case shapeOverflow(path: String, tensor: String, shape: [Int])
    /// `data_offsets` is not `[begin, end]` with `0 <= begin <= end`.
    case invalidDataOffsets(path: String, tensor: String, offsets: [Int])
    /// `data_offsets` ends past the data buffer.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// `end - begin` differs from the element count times the dtype size.
    case sizeMismatch(path: String, tensor: String, dtype: SafetensorsDType, shape: [Int], expectedBytes: Int, foundBytes: Int)
    /// A tensor's bytes overlap those of the tensor before it (in offset order).
    case overlappingData(path: String, tensor: String, previous: String, begin: Int, previousEnd: Int)
    /// Unused bytes before a tensor: it does not begin where the previous one ends (or at 0).
    case dataGap(path: String, tensor: String, expectedBegin: Int, begin: Int)
    /// Unused bytes after the last tensor: the data buffer is not fully covered.
    case uncoveredTrailingData(path: String, coveredEnd: Int, bufferSize: Int)
    /// `__metadata__` is not a JSON object.
    case metadataNotObject(path: String, found: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(path: String, key: String, found: String)
    /// A `__metadata__` key appears twice.
    case duplicateMetadataKey(path: String, key: String)
    /// No tensor has the requested name; `available` holds up to five names, `total` counts them all.
    case tensorNotFound(path: String, name: String, available: [String], total: Int)
    /// A write was refused before touching the disk (empty or reserved name, bad shard size...).
    case invalidWriteRequest(path: String, reason: String)
    /// A sharded-checkpoint index that is not valid JSON of the expected layout.
    case invalidIndex(path: String, reason: String)
    /// A shard file named in an index's `weight_map` does not exist.
    case shardMissing(index: String, shard: String)
    /// An index maps a tensor to a shard that does not hold it.
    case tensorMissingFromShard(index: String, tensor: String, shard: String)
    /// A shard holds a tensor that the index does not map to that shard.
    case tensorNotInIndex(index: String, tensor: String, shard: String)

    /// The file path, the broken rule, and what was expected and found.
    /// Whether the 8 little-endian bytes of `length` are printable ASCII (a YAML or JSON file, say).
    static func looksLikeText(_ length: UInt64) -> Bool {
        withUnsafeBytes(of: length.littleEndian) { bytes in bytes.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D } }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadableFile(let path, let reason):
            "\(path): cannot read the file: \(reason)"
        case .fileTooShort(let path, let size):
            "\(path): file too short: a safetensors file starts with an 8-byte header length, found \(size) bytes"
        case .headerTooLarge(let path, let claimed):
            "\(path): header too large: the header length may be at most \(Safetensors.maximumHeaderBytes) bytes, found \(claimed)"
                + (Self.looksLikeText(claimed) ? " (its first 8 bytes are text: this is not a safetensors file)" : "")
        case .headerPastEndOfFile(let path, let claimed, let available):
            "\(path): header length past end of file: expected at most \(available) bytes after the 8-byte length, found a header length of \(claimed)"
        case .headerNotUTF8(let path):
            "\(path): header is not valid UTF-8"
        case .invalidHeaderJSON(let path, let reason):
            "\(path): header is not valid JSON: \(reason)"
        case .headerNotObject(let path, let found):
            "\(path): header must be a JSON object, found \(found)"
        case .duplicateTensorName(let path, let name):
            "\(path): duplicate tensor name: \(JSONValue.quoted(name)) appears more than once"
        case .entryNotObject(let path, let tensor, let found):
            "\(path): tensor \(JSONValue.quoted(tensor)): entry must be an object with dtype, shape and data_offsets, found \(found)"
        case .missingField(let path, let tensor, let field):
            "\(path): tensor \(JSONValue.quoted(tensor)): missing field \"\(field)\""
        case .invalidField(let path, let tensor, let field, let expected, let found):
            "\(path): tensor \(JSONValue.quoted(tensor)): field \"\(field)\" has the wrong type: expected \(expected), found \(found)"
        case .unknownDType(let path, let tensor, let dtype):
            "\(path): tensor \(JSONValue.quoted(tensor)): unknown dtype \(JSONValue.quoted(dtype)): expected one of \(Safetensors.supportedDTypeList)"
        case .unsupportedDType(let path, let tensor, let dtype):
            "\(path): tensor \(JSONValue.quoted(tensor)): unsupported dtype \(dtype): expected one of \(Safetensors.supportedDTypeList)"
        case .negativeExtent(let path, let tensor, let shape):
            "\(path): tensor \(JSONValue.quoted(tensor)): negative extent in shape: expected extents >= 0, found \(shape)"
        case .shapeOverflow(let path, let tensor, let shape):
            "\(path): tensor \(JSONValue.quoted(tensor)): shape \(shape) holds more elements than can be addressed"
        case .invalidDataOffsets(let path, let tensor, let offsets):
            "\(path): tensor \(JSONValue.quoted(tensor)): invalid data_offsets: expected [begin, end] with 0 <= begin <= end, found \(offsets)"
        case .offsetsOutOfBounds(let path, let tensor, let begin, let end, let bufferSize):
            "\(path): tensor \(JSONValue.quoted(tensor)): data_offsets out of bounds: expected end <= \(bufferSize) (the data buffer size), found [\(begin), \(end)]"
        case .sizeMismatch(let path, let tensor, let dtype, let shape, let expectedBytes, let foundBytes):
            "\(path): tensor \(JSONValue.quoted(tensor)): byte size does not match shape: \(dtype.rawValue) \(shape) needs \(expectedBytes) bytes, data_offsets span \(foundBytes)"
        case .overlappingData(let path, let tensor, let previous, let begin, let previousEnd):
            "\(path): tensor \(JSONValue.quoted(tensor)): overlapping data: expected it to begin at \(previousEnd) where \(JSONValue.quoted(previous)) ends, found begin \(begin)"
        case .dataGap(let path, let tensor, let expectedBegin, let begin):
            "\(path): tensor \(JSONValue.quoted(tensor)): gap in the data buffer: expected it to begin at \(expectedBegin), found begin \(begin)"
        case .uncoveredTrailingData(let path, let coveredEnd, let bufferSize):
            "\(path): data buffer not fully covered: expected the last tensor to end at \(bufferSize), found \(coveredEnd)"
        case .metadataNotObject(let path, let found):
            "\(path): \"__metadata__\" must be an object of string values, found \(found)"
        case .metadataValueNotString(let path, let key, let found):
            "\(path): \"__metadata__\" value for \(JSONValue.quoted(key)) is not a string: expected a string, found \(found)"
        case .duplicateMetadataKey(let path, let key):
            "\(path): duplicate key in \"__metadata__\": \(JSONValue.quoted(key)) appears more than once"
        case .tensorNotFound(let path, let name, let available, let total):
            "\(path): no tensor named \(JSONValue.quoted(name)); the file has \(total) tensor\(total == 1 ? "" : "s")"
                + (available.isEmpty ? "" : ", e.g. " + available.map(JSONValue.quoted).joined(separator: ", "))
        case .invalidWriteRequest(let path, let reason):
            "\(path): cannot write: \(reason)"
        case .invalidIndex(let path, let reason):
            "\(path): invalid checkpoint index: \(reason)"
        case .shardMissing(let index, let shard):
            "\(index): shard \(JSONValue.quoted(shard)) listed in weight_map does not exist"
        case .tensorMissingFromShard(let index, let tensor, let shard):
            "\(index): weight_map puts \(JSONValue.quoted(tensor)) in shard \(JSONValue.quoted(shard)), but that shard has no such tensor"
        case .tensorNotInIndex(let index, let tensor, let shard):
            "\(index): shard \(JSONValue.quoted(shard)) holds \(JSONValue.quoted(tensor)), which weight_map does not map to it"
        }
    }
}
