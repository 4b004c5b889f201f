import Foundation
import Tensors

/// Fashion-MNIST (Xiao et al. 2017): 28×28 grey images of 10 garment classes, 60,000 for training
/// and 10,000 for testing, read from Debian's `dataset-fashion-mnist` package or any directory
/// holding the four IDX files, gzip-compressed or raw.
public enum FashionMNIST {
    /// Where `load` looks when given no directory: `$FMNIST_DIR` if set, else Debian's
    /// `/usr/share/datasets/fashion-mnist`.
    public static let defaultDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["FMNIST_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist", isDirectory: true)
    }()

    /// Which of the two published splits to read.
    public enum Split: String, Sendable, CaseIterable, Codable {
        /// The 60,000 training images.
        case train
        /// The 10,000 test images.
        case test

        /// The file-name prefix the dataset uses for the split.
        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// The class names, indexed by label.
    public static let classNames: [String] = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// The image side length in pixels.
    public static let side = 28

    /// The images of `split` as `[N, 1, 28, 28]` scaled to [0, 1] (exactly `Float(x) / 255`, like
    /// PyTorch's `x.astype(float32) / 255.0`) and their labels in 0...9.
    public static func load(_ split: Split, directory: URL? = nil) throws -> (images: Tensor, labels: [Int]) {
        let folder = directory ?? defaultDirectory
        let imagesURL = try locate("\(split.filePrefix)-images-idx3-ubyte", in: folder)
        let labelsURL = try locate("\(split.filePrefix)-labels-idx1-ubyte", in: folder)
        let images = try IDX.read(imagesURL)
        let labels = try IDX.read(labelsURL)
        guard images.shape.count == 3, images.shape[1] == side, images.shape[2] == side else {
            throw DataError.invalidContents(path: imagesURL.path, reason: "images have shape \(images.shape), expected [N, 28, 28]")
        }
        let count = images.shape[0]
        guard labels.shape == [count] else {
            throw DataError.invalidContents(
                path: labelsURL.path, reason: "labels have shape \(labels.shape), expected [\(count)] to match the images")
        }
        if let bad = labels.values.firstIndex(where: { $0 >= classNames.count }) {
            throw DataError.invalidContents(path: labelsURL.path, reason: "label \(labels.values[bad]) of example \(bad) is not in 0...9")
        }
        return (Tensor(shape: [count, 1, side, side], scalars: unitScaled(images.values)), labels.values.map(Int.init))
    }

    /// The file `name.gz` or `name` in `folder`, whichever exists; both is an error (they could
    /// hold different data, and which one was read would be a guess).
    private static func locate(_ name: String, in folder: URL) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw DataError.fileNotFound(path: folder.path)
        }
        guard isDirectory.boolValue else { throw DataError.unreadable(path: folder.path, reason: "not a directory; expected a folder of IDX files") }
        let found = [name + ".gz", name].map { folder.appendingPathComponent($0) }.filter { FileManager.default.fileExists(atPath: $0.path) }
        guard found.count < 2 else {
            throw DataError.invalidContents(path: folder.path, reason: "holds both \(name) and \(name).gz; remove one, so that which was read is not a guess")
        }
        guard let url = found.first else { throw DataError.fileNotFound(path: folder.appendingPathComponent(name).path + "[.gz]") }
        return url
    }

    /// Each byte divided by 255 in single precision.
    private static func unitScaled(_ bytes: [UInt8]) -> [Float] {
        [Float](unsafeUninitializedCapacity: bytes.count) { out, initialized in
            bytes.withUnsafeBufferPointer { input in
                for i in 0..<input.count { out[i] = Float(input[i]) / 255 }
            }
            initialized = bytes.count
        }
    }
}
