import Foundation

/// MNIST-format IDX files (big-endian header `00 00 <type> <rank>`, one 32-bit extent per axis,
/// then row-major elements), raw or gzip-compressed, told apart by magic bytes rather than name.
public enum IDX {
    /// The shape and unsigned-byte elements (type `0x08`) of the IDX file at `url`. Throws a
    /// `DataError` naming the file for a missing, corrupt, truncated or other-typed file.
    public static func read(_ url: URL) throws -> (shape: [Int], values: [UInt8]) {
        let raw = try FileBytes.read(url)
        guard Gzip.isCompressed(raw) else { return try parse(raw, path: url.path) }
        // Inflate the header first, then no more than the size it describes (plus one byte, to
        // tell "too long" apart): a small file that inflates to gigabytes is refused early.
        let expected: Int
        do {
            expected = try header(try Gzip.inflate(raw, path: url.path, limit: 4 + 4 * 255), path: url.path).totalBytes
        } catch let problem as DataError {
            // A broken header may be a corrupt stream that only its checksum reveals: report that.
            _ = try Gzip.inflate(raw, path: url.path, limit: 256 << 20)
            throw problem
        }
        let bytes = try Gzip.inflate(raw, path: url.path, limit: expected)
        guard bytes.count <= expected else {
            throw DataError.invalidContents(path: url.path, reason: "IDX header describes \(expected) bytes but the gzip stream inflates to more")
        }
        return try parse(bytes, path: url.path)
    }

    /// The element type codes IDX defines: ubyte, byte, short, int, float, double.
    private static let knownTypes: Set<UInt8> = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]

    /// Decodes uncompressed IDX `bytes`; `path` names the file in errors.
    static func parse(_ bytes: [UInt8], path: String) throws -> (shape: [Int], values: [UInt8]) {
        let (shape, headerLength, total) = try header(bytes, path: path)
        guard total == bytes.count else {
            throw DataError.sizeMismatch(path: path, expectedBytes: total, actualBytes: bytes.count)
        }
        return (shape, Array(bytes[headerLength...]))
    }

    /// The shape, header length and total file size the header at the start of `bytes` describes
    /// (`bytes` may hold just the header); the size arithmetic is checked for overflow.
    private static func header(_ bytes: [UInt8], path: String) throws -> (shape: [Int], headerLength: Int, totalBytes: Int) {
        guard bytes.count >= 4 else {
            throw DataError.invalidContents(path: path, reason: "\(bytes.count) bytes is too short for an IDX header (4 bytes at least)")
        }
        guard bytes[0] == 0, bytes[1] == 0, knownTypes.contains(bytes[2]) else {
            throw DataError.badMagic(path: path, found: Array(bytes[0..<4]))
        }
        guard bytes[2] == 0x08 else { throw DataError.unsupportedIDXType(path: path, typeCode: bytes[2]) }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw DataError.invalidContents(path: path, reason: "IDX rank is 0; expected at least one axis") }
        let headerLength = 4 + 4 * rank
        guard bytes.count >= headerLength else {
            throw DataError.invalidContents(
                path: path, reason: "truncated IDX header: rank \(rank) needs \(headerLength) bytes, the file holds \(bytes.count)")
        }
        var shape: [Int] = []
        var elements = 1
        var overflow = false
        for axis in 0..<rank {
            let at = 4 + 4 * axis
            let extent = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            shape.append(extent)
            let (product, overflowed) = elements.multipliedReportingOverflow(by: extent)
            elements = product
            overflow = overflow || overflowed
        }
        guard !overflow, elements <= Int.max - headerLength else {
            throw DataError.invalidContents(path: path, reason: "IDX shape \(shape) has more elements than can be addressed")
        }
        return (shape, headerLength, headerLength + elements)
    }
}
