import CZlib

/// gzip decompression with zlib's `inflate`, for the `.gz` files datasets ship as.
enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed contents of all gzip members in `bytes`; `path` names the file in errors.
    /// Inflating stops once more than `limit` bytes have come out (a reader that knows the size
    /// to expect need not hold a gzip bomb): then the first `limit + 1` bytes are returned.
    static func inflate(_ bytes: [UInt8], path: String, limit: Int = .max) throws -> [UInt8] {
        var stream = z_stream()
        let windowBitsWithGzipDetection: Int32 = 15 + 32
        guard inflateInit2_(&stream, windowBitsWithGzipDetection, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        let hint = initialCapacity(bytes)
        var output = GrowableBytes(capacity: limit < hint ? limit + 1 : hint)
        defer { output.deallocate() }
        try bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else {
                throw DataError.corruptGzip(path: path, reason: "the file is empty")
            }
            var handedOver = 0
            while true {
                if stream.avail_in == 0 && handedOver < input.count {
                    let chunk = min(input.count - handedOver, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: base + handedOver)
                    stream.avail_in = UInt32(chunk)
                    handedOver += chunk
                }
                if output.isFull { output.grow() }
                let room = min(output.room, Int(UInt32.max))
                stream.next_out = output.end
                stream.avail_out = UInt32(room)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                output.count += room - Int(stream.avail_out)
                if output.count > limit {
                    output.count = limit + 1
                    return
                }
                switch status {
                case Z_STREAM_END:
                    let remaining = input.count - handedOver + Int(stream.avail_in)
                    if remaining == 0 { return }
                    let next = input.count - remaining
                    guard remaining >= 2, input[next] == 0x1F, input[next + 1] == 0x8B else {
                        throw DataError.corruptGzip(path: path, reason: "\(remaining) unexpected bytes after the gzip stream")
                    }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError.corruptGzip(path: path, reason: "zlib could not restart for the next gzip member")
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_out == 0 || (stream.avail_in == 0 && handedOver < input.count):
                    continue
                case Z_BUF_ERROR:
                    throw DataError.corruptGzip(path: path, reason: "the data ends before the gzip stream does (truncated file)")
                case Z_MEM_ERROR:
                    throw DataError.corruptGzip(path: path, reason: "zlib ran out of memory")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.corruptGzip(path: path, reason: message)
                }
            }
        }
        return output.array
    }

    /// Deflate expands data at most about 1032-fold, which bounds a plausible size hint.
    private static let maximumRatio = 1032

    /// The uncompressed size the last member's trailer records (modulo 2³², bounded by the
    /// largest possible expansion), a size hint only: the buffer grows when it is wrong.
    private static func initialCapacity(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 18 else { return 1024 }
        let n = bytes.count
        let recorded = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
        return max(1024, min(recorded, n * maximumRatio))
    }
}

/// An output buffer for inflate whose unwritten tail is never touched, so that an oversized
/// capacity costs only address space; it doubles when full.
private struct GrowableBytes {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The bytes written so far.
    var count = 0

    /// An empty buffer with room for `capacity` bytes.
    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// Whether no room is left.
    var isFull: Bool { count == capacity }
    /// The bytes that can still be written.
    var room: Int { capacity - count }
    /// Where the next byte goes.
    var end: UnsafeMutablePointer<UInt8> { base + count }

    /// Doubles the capacity, keeping the written bytes.
    mutating func grow() {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    /// A copy of the written bytes.
    var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Frees the memory; the buffer must not be used afterwards.
    func deallocate() { base.deallocate() }
}
