import CZlib
import Foundation
import Tensors
@testable import Data

/// A fresh temporary directory for one test.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("DataTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `bytes` to `name` in `directory` and returns its URL.
@discardableResult
func writeFile(_ bytes: [UInt8], named name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Foundation.Data(bytes).write(to: url)
    return url
}

/// Writes UTF-8 `text` to `name` in `directory` and returns its URL.
@discardableResult
func writeText(_ text: String, named name: String, in directory: URL) throws -> URL {
    try writeFile(Array(text.utf8), named: name, in: directory)
}

/// The bytes of an IDX file with the given type code, shape and payload.
func idxBytes(type: UInt8 = 0x08, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for extent in shape {
        bytes += [UInt8(extent >> 24 & 0xFF), UInt8(extent >> 16 & 0xFF), UInt8(extent >> 8 & 0xFF), UInt8(extent & 0xFF)]
    }
    return bytes + payload
}

/// `bytes` gzip-compressed by zlib's deflate (windowBits 15 + 16 writes a gzip wrapper).
func gzipped(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    let started = deflateInit2_(
        &stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(started == Z_OK, "deflateInit2 failed")
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END, "deflate did not finish")
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<written])
}

/// A small fake Fashion-MNIST directory: random 28×28 images whose rows below a per-image
/// height are blank, labels cycling through the classes; gzip for train, raw for test.
struct FakeFashionMNIST {
    let directory: URL
    let trainLabels: [UInt8]
    let testLabels: [UInt8]
    let trainPixels: [UInt8]
    let testPixels: [UInt8]

    init(trainCount: Int = 60, testCount: Int = 30) throws {
        directory = try makeTemporaryDirectory()
        var rng = RandomGenerator(seed: 77)
        func images(_ count: Int) -> [UInt8] {
            (0..<count).flatMap { _ -> [UInt8] in
                let rows = 1 + rng.nextInt(below: 28)
                return (0..<784).map { $0 / 28 < rows ? UInt8(rng.nextInt(below: 256)) : 0 }
            }
        }
        trainPixels = images(trainCount)
        testPixels = images(testCount)
        trainLabels = (0..<trainCount).map { UInt8(($0 * 7 + 3) % 10) }
        testLabels = (0..<testCount).map { UInt8($0 % 10) }
        try writeFile(gzipped(idxBytes(shape: [trainCount, 28, 28], payload: trainPixels)), named: "train-images-idx3-ubyte.gz", in: directory)
        try writeFile(gzipped(idxBytes(shape: [trainCount], payload: trainLabels)), named: "train-labels-idx1-ubyte.gz", in: directory)
        try writeFile(idxBytes(shape: [testCount, 28, 28], payload: testPixels), named: "t10k-images-idx3-ubyte", in: directory)
        try writeFile(idxBytes(shape: [testCount], payload: testLabels), named: "t10k-labels-idx1-ubyte", in: directory)
    }
}

/// A small dataset: `count` examples of 3 features (row i holds i, 10i, 100i), a 3-class task
/// `c` (i mod 3), a binary task `b` (i mod 2, missing every fifth) and a regression task `r` (i/2).
func sampleDataset(count: Int = 20) throws -> Dataset {
    let inputs = Tensor(shape: [count, 3], scalars: (0..<count).flatMap { i in [Float(i), Float(10 * i), Float(100 * i)] })
    return try Dataset(
        name: "sample", inputs: inputs,
        tasks: [
            TaskInfo(name: "c", kind: .multiclass(classes: 3), summary: "i mod 3"),
            TaskInfo(name: "b", kind: .binary, summary: "i mod 2"),
            TaskInfo(name: "r", kind: .regression, summary: "i / 2"),
        ],
        labels: [
            "c": Tensor((0..<count).map { Float($0 % 3) }),
            "b": Tensor((0..<count).map { $0 % 5 == 4 ? .nan : Float($0 % 2) }),
            "r": Tensor((0..<count).map { Float($0) / 2 }),
        ])
}

/// The error `body` throws, as a `DataError` (nil if it throws nothing or something else).
func dataError<T>(_ body: () throws -> T) -> DataError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? DataError
    }
}

/// Pearson correlation of two equal-length samples.
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0.0) { $0 + Double($1) } / n
    let mb = b.reduce(0.0) { $0 + Double($1) } / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
        sab += (Double(x) - ma) * (Double(y) - mb)
        saa += (Double(x) - ma) * (Double(x) - ma)
        sbb += (Double(y) - mb) * (Double(y) - mb)
    }
    return sab / (saa * sbb).squareRoot()
}
