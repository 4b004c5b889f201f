/// The validated contents of a safetensors header: metadata plus entries sorted by offset,
/// checked to tile the data buffer exactly.
struct SafetensorsHeader {
    let metadata: [String: String]
    let entries: [SafetensorsEntry]

    /// Checks every rule of the format against `json` (the parsed header) for a data buffer of
    /// `bufferSize` bytes; `path` names the file in errors.
    init(json: JSONValue, bufferSize: Int, path: String) throws(SafetensorsError) {
        guard case .object(let members) = json else { throw .headerNotObject(path: path, found: json.kind) }
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw .duplicateTensorName(path: path, name: member.key)
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for member in members {
            if member.key == Safetensors.metadataKey {
                metadata = try SafetensorsHeader.metadata(member.value, path: path)
            } else {
                entries.append(try SafetensorsHeader.entry(member.key, member.value, bufferSize: bufferSize, path: path))
            }
        }
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        try SafetensorsHeader.checkTiling(entries, bufferSize: bufferSize, path: path)
        self.metadata = metadata
        self.entries = entries
    }

    private static func metadata(_ value: JSONValue, path: String) throws(SafetensorsError) -> [String: String] {
        guard case .object(let members) = value else { throw .metadataNotObject(path: path, found: value.kind) }
        var metadata: [String: String] = [:]
        for member in members {
            guard case .string(let s) = member.value else {
                throw .metadataValueNotString(path: path, key: member.key, found: member.value.summary())
            }
            guard metadata.updateValue(s, forKey: member.key) == nil else {
                throw .duplicateMetadataKey(path: path, key: member.key)
            }
        }
        return metadata
    }

    private static func entry(_ name: String, _ value: JSONValue, bufferSize: Int, path: String) throws(SafetensorsError) -> SafetensorsEntry {
        guard case .object(let members) = value else { throw .entryNotObject(path: path, tensor: name, found: value.summary()) }
        func field(_ key: String) throws(SafetensorsError) -> JSONValue {
            let matches = members.filter { $0.key == key }
            guard let first = matches.first else { throw .missingField(path: path, tensor: name, field: key) }
            guard matches.count == 1 else {
                throw .invalidField(path: path, tensor: name, field: key, expected: "one value", found: "\(matches.count) values")
            }
            return first.value
        }
        func integers(_ key: String, _ expected: String) throws(SafetensorsError) -> [Int] {
            let value = try field(key)
            guard case .array(let elements) = value else {
                throw .invalidField(path: path, tensor: name, field: key, expected: expected, found: value.summary())
            }
            var result: [Int] = []
            for element in elements {
                guard case .integer(let i) = element else {
                    throw .invalidField(path: path, tensor: name, field: key, expected: expected, found: value.summary())
                }
                result.append(i)
            }
            return result
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw .invalidField(path: path, tensor: name, field: "dtype", expected: "a string", found: dtypeValue.summary())
        }
        let shape = try integers("shape", "an array of integers")
        let offsets = try integers("data_offsets", "an array of two integers [begin, end]")
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            if SafetensorsDType.knownUnsupported.contains(dtypeName) {
                throw .unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .negativeExtent(path: path, tensor: name, shape: shape) }
        guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw .invalidDataOffsets(path: path, tensor: name, offsets: offsets)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard end <= bufferSize else {
            throw .offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, bufferSize: bufferSize)
        }
        // The product of the non-zero extents must fit too: a zero extent makes a tensor empty,
        // but its other extents still enter stride arithmetic.
        var expectedBytes = dtype.byteSize, spannedBytes = dtype.byteSize
        for extent in shape {
            let (product, overflow) = expectedBytes.multipliedReportingOverflow(by: extent)
            let (span, spanOverflow) = spannedBytes.multipliedReportingOverflow(by: Swift.max(extent, 1))
            guard !overflow && !spanOverflow else { throw .shapeOverflow(path: path, tensor: name, shape: shape) }
            (expectedBytes, spannedBytes) = (product, span)
        }
        guard expectedBytes == end - begin else {
            throw .sizeMismatch(path: path, tensor: name, dtype: dtype, shape: shape, expectedBytes: expectedBytes, foundBytes: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Sorted entries must follow one another with no gap or overlap from 0 to `bufferSize`.
    private static func checkTiling(_ sorted: [SafetensorsEntry], bufferSize: Int, path: String) throws(SafetensorsError) {
        var previous: SafetensorsEntry?
        for entry in sorted {
            let begin = entry.byteRange.lowerBound
            let expectedBegin = previous?.byteRange.upperBound ?? 0
            if let previous, begin < expectedBegin {
                throw .overlappingData(path: path, tensor: entry.name, previous: previous.name, begin: begin, previousEnd: expectedBegin)
            }
            if begin > expectedBegin { throw .dataGap(path: path, tensor: entry.name, expectedBegin: expectedBegin, begin: begin) }
            previous = entry
        }
        let cursor = previous?.byteRange.upperBound ?? 0
        guard cursor == bufferSize else { throw .uncoveredTrailingData(path: path, coveredEnd: cursor, bufferSize: bufferSize) }
    }
}
