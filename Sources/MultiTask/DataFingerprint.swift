import Data
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NN
import Tensors

/// A 64-bit fingerprint of the prepared data (inputs and labels of every split, in order), saved
/// with a run so that resuming on data that changed since — an edited CSV, another Fashion-MNIST
/// directory — is an error instead of a silently different run. Not cryptographic: it detects
/// accidents, not adversaries.
enum DataFingerprint {
    static func of(_ data: PreparedData) -> String {
        var hash: UInt64 = 0x243F_6A88_85A3_08D3
        for dataset in [data.train, data.validation, data.test].compactMap({ $0 }) {
            mix(&hash, UInt64(dataset.count))
            mix(&hash, dataset.inputs)
            for task in dataset.tasks {
                for byte in task.name.utf8 { mix(&hash, UInt64(byte)) }
                mix(&hash, dataset.labels[task.name]!)
            }
        }
        return String(hash, radix: 16)
    }

    /// The fingerprint of a checkpoint's tensors (names, shapes and values, in order): whether a
    /// pretrained file still holds what a study started from.
    static func of(_ weights: NN.ParameterSet) -> String {
        var hash: UInt64 = 0x4528_21E6_38D0_1377
        for (name, tensor) in weights {
            for byte in name.utf8 { mix(&hash, UInt64(byte)) }
            mix(&hash, tensor)
        }
        return String(hash, radix: 16)
    }

    private static func mix(_ hash: inout UInt64, _ tensor: Tensor) {
        for extent in tensor.shape { mix(&hash, UInt64(extent)) }
        tensor.withUnsafeBufferPointer { values in mix(&hash, UnsafeRawBufferPointer(values)) }
    }

    /// The fingerprint of a file's bytes (a snapshot's weights, say), to detect damage on disk.
    /// Streamed 16 MiB at a time (a multiple of the 8-byte word, so the hash is the whole
    /// file's): files of any size, such as the Adam state of a model of several GB.
    static func of(file: URL) throws -> String {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RunDirectoryError.corrupt(path: file.path, reason: errno == ENOENT ? "is missing" : "cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw RunDirectoryError.corrupt(path: file.path, reason: "cannot be read: it is not a regular file")
        }
        var hash: UInt64 = 0x1319_8A2E_0370_7344
        mix(&hash, UInt64(info.st_size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 << 20, alignment: 8)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            // Fill the buffer whole (short reads happen), so only the file's last chunk has a tail.
            var filled = 0
            while filled < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw RunDirectoryError.corrupt(path: file.path, reason: "cannot be read: \(String(cString: strerror(errno)))") }
                if count == 0 { break }
                filled += count
            }
            mix(&hash, UnsafeRawBufferPointer(rebasing: buffer[..<filled]))
            total += filled
            if filled < buffer.count { break }
        }
        guard total == Int(info.st_size) else { throw RunDirectoryError.corrupt(path: file.path, reason: "changed while it was read") }
        return String(hash, radix: 16)
    }

    private static func mix(_ hash: inout UInt64, _ bits: UnsafeRawBufferPointer) {
        var h = hash
        var i = 0
        while i + 8 <= bits.count {
            h = step(h, bits.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        while i < bits.count { h = step(h, UInt64(bits[i])); i += 1 }
        hash = h
    }

    private static func mix(_ hash: inout UInt64, _ value: UInt64) { hash = step(hash, value) }

    /// One round: xor in the word, multiply, fold (a multiply-xorshift in the style of wyhash/SplitMix).
    @inline(__always)
    private static func step(_ h: UInt64, _ word: UInt64) -> UInt64 {
        var x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return x
    }
}
