import Foundation
import Tensors

extension TaskSuite {
    /// The introductory exercise of multi-task learning: an image's class (`digit`, 10-way) and
    /// whether that class is odd (`parity`), from one trunk. It reads Fashion-MNIST by default
    /// (garment codes 0...9) and MNIST from any folder of the same IDX files, where `digit` is
    /// the handwritten digit. Inputs `[N, 1, 28, 28]`; no randomness.
    public static func digitParity(_ split: FashionMNIST.Split, directory: URL? = nil) throws -> Dataset {
        let (images, classes) = try FashionMNIST.load(split, directory: directory)
        let tasks = [
            TaskInfo(name: "digit", kind: .multiclass(classes: 10), summary: "the class, 0...9 (the digit, on MNIST)"),
            TaskInfo(name: "parity", kind: .binary, summary: "1 iff the class is odd"),
        ]
        let labels = [
            "digit": Tensor(shape: [classes.count], scalars: classes.map(Float.init)),
            "parity": Tensor(shape: [classes.count], scalars: classes.map { Float($0 % 2) }),
        ]
        return try Dataset(name: "digit-parity/\(split.rawValue)", inputs: images,
                           tasks: tasks, labels: labels)
    }
}
