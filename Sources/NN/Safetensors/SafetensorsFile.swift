import Files
import Foundation
import Tensors

/// A safetensors file opened memory-mapped and validated up front: once `init` returns, every
/// entry is well-formed and the entries tile the data buffer exactly.
public struct SafetensorsFile: Sendable {
    /// The file this was read from.
    public let url: URL
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// The tensors' entries in file order (sorted by offset).
    public let entries: [SafetensorsEntry]
    /// The file offset where the data buffer begins: 8 plus the header length.
    public let dataStart: Int
    /// The size of the whole file in bytes.
    public var fileSize: Int { bytes.count }

    private let bytes: Data
    private let positionByName: [String: Int]

    /// Maps the file at `url` and checks the header against every rule of the format.
    /// Throws `SafetensorsError` naming the file and the broken rule.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let bytes: Data
        do {
            bytes = try FileContents.mapped(path)
        } catch {
            if error.missing, (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
                throw SafetensorsError.unreadableFile(path: path, reason: "a symbolic link that leads nowhere (a missing target, or a loop)")
            }
            throw error.missing ? SafetensorsError.fileNotFound(path: path) : SafetensorsError.unreadableFile(path: path, reason: error.reason)
        }
        let (header, dataStart) = try SafetensorsFile.parseHeader(bytes, path: path)
        self.url = url
        self.bytes = bytes
        self.dataStart = dataStart
        self.metadata = header.metadata
        self.entries = header.entries
        self.positionByName = Dictionary(uniqueKeysWithValues: header.entries.enumerated().map { ($1.name, $0) })
    }

    private static func parseHeader(_ bytes: Data, path: String) throws(SafetensorsError) -> (SafetensorsHeader, dataStart: Int) {
        guard bytes.count >= 8 else { throw .fileTooShort(path: path, size: bytes.count) }
        let claimed = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard claimed <= UInt64(Safetensors.maximumHeaderBytes) else { throw .headerTooLarge(path: path, claimed: claimed) }
        let headerLength = Int(claimed)
        guard headerLength <= bytes.count - 8 else {
            throw .headerPastEndOfFile(path: path, claimed: claimed, available: bytes.count - 8)
        }
        let headerBytes = [UInt8](bytes[bytes.startIndex + 8 ..< bytes.startIndex + 8 + headerLength])
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8(path: path) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw .invalidHeaderJSON(path: path, reason: error.description)
        }
        let dataStart = 8 + headerLength
        return (try SafetensorsHeader(json: json, bufferSize: bytes.count - dataStart, path: path), dataStart)
    }

    /// The entry named `name`; throws `SafetensorsError.tensorNotFound` listing a few names that exist.
    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let position = positionByName[name] else {
            throw SafetensorsError.tensorNotFound(path: url.path, name: name, available: entries.prefix(5).map(\.name), total: entries.count)
        }
        return entries[position]
    }

    /// The tensor named `name`, converted to Float32 (see `SafetensorsDType`).
    public func tensor(_ name: String) throws -> Tensor {
        decode(try entry(name))
    }

    /// Every tensor, converted to Float32, in file order.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        entries.map { ($0.name, decode($0)) }
    }

    /// Elements `elements` of `entry`, converted to Float32 into `out` (of the same count): the
    /// streaming read of a large tensor, one chunk at a time.
    package func decode(_ entry: SafetensorsEntry, elements: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(elements.lowerBound >= 0 && elements.upperBound <= entry.elementCount && out.count == elements.count, "decode: bad range")
        let size = entry.dtype.byteSize
        let begin = dataStart + entry.byteRange.lowerBound + elements.lowerBound * size
        bytes.withUnsafeBytes { raw in
            entry.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[begin ..< begin + elements.count * size]), into: out)
        }
    }

    /// Tells the kernel that elements `elements` of `entry` will not be read again soon, so their
    /// pages leave this process's resident set (they stay in the page cache). Keeps a streaming
    /// pass over files larger than memory at a small footprint; the data stay readable.
    package func release(_ entry: SafetensorsEntry, elements: Range<Int>) {
        let size = entry.dtype.byteSize
        let begin = dataStart + entry.byteRange.lowerBound + elements.lowerBound * size
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: base) + begin + page - 1) / page * page  // whole pages inside the range only
            let end = (Int(bitPattern: base) + begin + elements.count * size) / page * page
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, Int32(MADV_DONTNEED)) }
        }
    }

    private func decode(_ entry: SafetensorsEntry) -> Tensor {
        let scalars = bytes.withUnsafeBytes { raw in
            entry.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[dataStart + entry.byteRange.lowerBound ..< dataStart + entry.byteRange.upperBound]))
        }
        return Tensor(shape: entry.shape, scalars: scalars)
    }
}
