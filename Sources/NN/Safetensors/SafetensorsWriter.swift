import Files
import Foundation
import Tensors

extension Safetensors {
    /// Writes `tensors` to `url` as one safetensors file, atomically (see `AtomicWrite`), data in
    /// the given order and converted to `dtype`. Header keys are sorted and the header is padded with
    /// spaces so the data starts at a multiple of 8. Names must be non-empty and distinct.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32, to url: URL
    ) throws {
        try writeStreaming(tensors.map { ($0.name, $0.tensor.shape, dtype) }, metadata: metadata, to: url) { position, emit in
            try tensors[position].tensor.withUnsafeBufferPointer { try emit($0) }
        }
    }

    /// Writes one file whose tensors (`layout`: names, shapes and stored dtypes, in data order) are
    /// produced one at a time: `produce(position, emit)` must emit exactly the tensor's elements, in order, in
    /// chunks of any size. The header is known from the layout, so no tensor is held whole.
    /// Atomic like `write`; an error thrown by `produce` leaves no file.
    package static func writeStreaming(
        _ layout: [(name: String, shape: [Int], dtype: SafetensorsDType)], metadata: [String: String] = [:], to url: URL,
        produce: (_ position: Int, _ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void
    ) throws {
        try checkNames(layout.map(\.name), path: url.path)
        let header = encodedHeader(layout, metadata: metadata)
        try AtomicWrite.write(to: url) { sink in
            try sink.write(header)
            var buffer = [UInt8](repeating: 0, count: chunkElements * 8)
            for (position, entry) in layout.enumerated() {
                let dtype = entry.dtype
                let expected = entry.shape.reduce(1, *)
                var written = 0
                try produce(position) { scalars in
                    written += scalars.count
                    precondition(written <= expected, "writeStreaming: '\(entry.name)' got more than its \(expected) elements")
                    for start in stride(from: 0, to: scalars.count, by: chunkElements) {
                        let chunk = UnsafeBufferPointer(rebasing: scalars[start ..< min(start + chunkElements, scalars.count)])
                        let byteCount = chunk.count * dtype.byteSize
                        try buffer.withUnsafeMutableBytes { raw in
                            dtype.encode(chunk, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<byteCount]))
                            try sink.write(UnsafeRawBufferPointer(rebasing: raw[..<byteCount]))
                        }
                    }
                }
                precondition(written == expected, "writeStreaming: '\(entry.name)' got \(written) of its \(expected) elements")
            }
        }
    }

    /// Rejects empty, reserved and repeated names; `path` names the file being written.
    static func checkNames(_ names: [String], path: String) throws(SafetensorsError) {
        var seen = Set<String>()
        for (position, name) in names.enumerated() {
            guard !name.isEmpty else { throw .invalidWriteRequest(path: path, reason: "tensor at position \(position) has an empty name") }
            guard name != metadataKey else {
                throw .invalidWriteRequest(path: path, reason: "\(JSONValue.quoted(metadataKey)) is reserved for metadata and cannot name a tensor")
            }
            guard seen.insert(name).inserted else { throw .duplicateTensorName(path: path, name: name) }
        }
    }

    /// The 8-byte length followed by the JSON header, padded with spaces to a multiple of 8 bytes.
    static func encodedHeader(_ layout: [(name: String, shape: [Int], dtype: SafetensorsDType)], metadata: [String: String]) -> [UInt8] {
        var members: [JSONMember] = []
        var offset = 0
        for (name, shape, dtype) in layout {
            let end = offset + shape.reduce(1, *) * dtype.byteSize
            let entry = JSONValue.object([
                JSONMember(key: "dtype", value: .string(dtype.rawValue)),
                JSONMember(key: "shape", value: .array(shape.map { .integer($0) })),
                JSONMember(key: "data_offsets", value: .array([.integer(offset), .integer(end)])),
            ])
            members.append(JSONMember(key: name, value: entry))
            offset = end
        }
        members.sort { codePointOrder($0.key, $1.key) }
        if !metadata.isEmpty {
            let pairs = metadata.sorted { codePointOrder($0.key, $1.key) }.map { JSONMember(key: $0.key, value: .string($0.value)) }
            members.insert(JSONMember(key: metadataKey, value: .object(pairs)), at: 0)
        }
        var json = Array(JSONValue.object(members).rendered().utf8)
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json
    }

    /// Elements converted per chunk, bounding the extra memory a write needs.
    static let chunkElements = 1 << 16
}
