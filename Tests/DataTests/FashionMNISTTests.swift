import Foundation
import Testing
import TestSupport
@testable import Data

@Suite struct FashionMNISTTests {
    @Test func loadsGzipAndRawFilesFromAnyDirectory() throws {
        let fake = try FakeFashionMNIST(trainCount: 12, testCount: 5)
        let train = try FashionMNIST.load(.train, directory: fake.directory)
        #expect(train.images.shape == [12, 1, 28, 28])
        #expect(train.labels == fake.trainLabels.map(Int.init))
        #expect(train.images.scalars == fake.trainPixels.map { Float($0) / 255 })
        let test = try FashionMNIST.load(.test, directory: fake.directory)
        #expect(test.images.shape == [5, 1, 28, 28])
        #expect(test.labels == fake.testLabels.map(Int.init))
    }

    @Test func scalingIsExactlyDivisionBy255() throws {
        let dir = try makeTemporaryDirectory()
        let pixels = (0..<784).map { UInt8($0 % 256) }
        try writeFile(idxBytes(shape: [1, 28, 28], payload: pixels), named: "t10k-images-idx3-ubyte", in: dir)
        try writeFile(idxBytes(shape: [1], payload: [3]), named: "t10k-labels-idx1-ubyte", in: dir)
        let values = try FashionMNIST.load(.test, directory: dir).images.scalars
        #expect(values[255] == 1)
        #expect(values[0] == 0)
        #expect(values[51] == 0.2)
        #expect(values.enumerated().allSatisfy { $0.element == Float(pixels[$0.offset]) / Float(255) })
    }

    @Test func missingFilesNameTheExpectedPath() throws {
        let dir = try makeTemporaryDirectory()
        let error = dataError { try FashionMNIST.load(.train, directory: dir) }
        #expect(error == .fileNotFound(path: dir.appendingPathComponent("train-images-idx3-ubyte").path + "[.gz]"))
    }

    /// A raw and a gzip copy of one file side by side (they could differ), or a folder that is a
    /// file or missing: each an error naming the path.
    @Test func ambiguousOrMissingFoldersAreNamed() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(idxBytes(shape: [1, 28, 28], payload: Array(repeating: 0, count: 784)), named: "t10k-images-idx3-ubyte", in: dir)
        try writeFile(gzipped(idxBytes(shape: [1, 28, 28], payload: Array(repeating: 9, count: 784))), named: "t10k-images-idx3-ubyte.gz", in: dir)
        try writeFile(idxBytes(shape: [1], payload: [3]), named: "t10k-labels-idx1-ubyte", in: dir)
        #expect(dataError { try FashionMNIST.load(.test, directory: dir) } == .invalidContents(path: dir.path, reason: "holds both t10k-images-idx3-ubyte and t10k-images-idx3-ubyte.gz; remove one, so that which was read is not a guess"))
        let file = dir.appendingPathComponent("t10k-labels-idx1-ubyte")
        #expect(dataError { try FashionMNIST.load(.test, directory: file) } == .unreadable(path: file.path, reason: "not a directory; expected a folder of IDX files"))
        let missing = dir.appendingPathComponent("nope")
        #expect(dataError { try FashionMNIST.load(.test, directory: missing) } == .fileNotFound(path: missing.path))
    }

    @Test func mismatchedCountsAndBadLabelsAreRejected() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(idxBytes(shape: [2, 28, 28], payload: Array(repeating: 0, count: 1568)), named: "t10k-images-idx3-ubyte", in: dir)
        let labels = try writeFile(idxBytes(shape: [3], payload: [1, 2, 3]), named: "t10k-labels-idx1-ubyte", in: dir)
        guard case .invalidContents(let path, let reason) = dataError({ try FashionMNIST.load(.test, directory: dir) }) else {
            Issue.record("expected .invalidContents")
            return
        }
        #expect(path == labels.path)
        #expect(reason.contains("[2]"))

        try writeFile(idxBytes(shape: [2], payload: [1, 10]), named: "t10k-labels-idx1-ubyte", in: dir)
        guard case .invalidContents(_, let labelReason) = dataError({ try FashionMNIST.load(.test, directory: dir) }) else {
            Issue.record("expected .invalidContents for label 10")
            return
        }
        #expect(labelReason.contains("label 10 of example 1"))
    }

    @Test func wrongImageShapeIsRejected() throws {
        let dir = try makeTemporaryDirectory()
        let images = try writeFile(idxBytes(shape: [1, 27, 29], payload: Array(repeating: 0, count: 783)), named: "t10k-images-idx3-ubyte", in: dir)
        try writeFile(idxBytes(shape: [1], payload: [0]), named: "t10k-labels-idx1-ubyte", in: dir)
        #expect(dataError { try FashionMNIST.load(.test, directory: dir) }?.path == images.path)
    }

    @Test func classNamesAndDefaultDirectory() {
        #expect(FashionMNIST.classNames.count == 10)
        #expect(FashionMNIST.classNames[0] == "T-shirt/top")
        #expect(FashionMNIST.classNames[9] == "Ankle boot")
        let expected = ProcessInfo.processInfo.environment["FMNIST_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/datasets/fashion-mnist"
        #expect(FashionMNIST.defaultDirectory.path == URL(fileURLWithPath: expected).path)
    }

    @Test(.enabled(if: hasRealFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func realTrainSplitHasKnownStatistics() throws {
        let (images, labels) = try FashionMNIST.load(.train, directory: realFashionMNIST)
        #expect(images.shape == [60000, 1, 28, 28])
        #expect(labels.count == 60000)
        var counts = [Int](repeating: 0, count: 10)
        for label in labels { counts[label] += 1 }
        #expect(counts == Array(repeating: 6000, count: 10))
        let (low, high, mean) = images.withUnsafeBufferPointer { x -> (Float, Float, Double) in
            var low = Float.infinity, high = -Float.infinity, sum = 0.0
            for v in x {
                low = min(low, v)
                high = max(high, v)
                sum += Double(v)
            }
            return (low, high, sum / Double(x.count))
        }
        #expect(low == 0)
        #expect(high == 1)
        #expect(abs(mean - 0.2860) < 0.0005)
        #expect(labels.prefix(5) == [9, 0, 0, 3, 0])
    }

    @Test(.enabled(if: hasRealFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func realTestSplitHasKnownStatistics() throws {
        let (images, labels) = try FashionMNIST.load(.test, directory: realFashionMNIST)
        #expect(images.shape == [10000, 1, 28, 28])
        var counts = [Int](repeating: 0, count: 10)
        for label in labels { counts[label] += 1 }
        #expect(counts == Array(repeating: 1000, count: 10))
        #expect(images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(labels.prefix(5) == [9, 2, 1, 1, 6])
    }
}
