import Foundation
import Tensors

extension TaskSuite {
    /// The side of the `multifashion` canvas.
    static let multiFashionSide = 36
    /// Where the right item's top-left corner sits on the canvas (row and column).
    static let multiFashionOffset = 8

    /// MultiMNIST-style pairs (Sener & Koltun 2018) from Fashion-MNIST, inputs `[N, 1, 36, 36]`,
    /// one example per image of the split: the image itself at the top-left (0, 0) and a seeded
    /// random other image of the same split at (8, 8), overlaid by pixelwise max. Tasks `left`
    /// and `right` (10-way) are their classes: two related, competing tasks on a shared input.
    public static func multiFashion(_ split: FashionMNIST.Split, seed: UInt64, directory: URL? = nil) throws -> Dataset {
        let (images, classes) = try FashionMNIST.load(split, directory: directory)
        let count = classes.count
        let partners = multiFashionPartners(count: count, split: split, seed: seed)
        let side = FashionMNIST.side, canvas = multiFashionSide, offset = multiFashionOffset
        let canvasPixels = canvas * canvas, pixels = side * side
        var overlaid = [Float](repeating: 0, count: count * canvasPixels)
        images.withUnsafeBufferPointer { x in
            overlaid.withUnsafeMutableBufferPointer { out in
                for n in 0..<count {
                    let base = n * canvasPixels, left = n * pixels, right = partners[n] * pixels
                    for r in 0..<side {
                        for c in 0..<side { out[base + r * canvas + c] = x[left + r * side + c] }
                    }
                    for r in 0..<side {
                        for c in 0..<side {
                            let at = base + (r + offset) * canvas + c + offset
                            out[at] = Swift.max(out[at], x[right + r * side + c])
                        }
                    }
                }
            }
        }
        let tasks = [
            TaskInfo(name: "left", kind: .multiclass(classes: 10), summary: "class of the item at the top-left (0,0): the example's own image"),
            TaskInfo(name: "right", kind: .multiclass(classes: 10), summary: "class of the seeded partner item at (8,8), overlaid by max"),
        ]
        let labels = [
            "left": Tensor(shape: [count], scalars: classes.map(Float.init)),
            "right": Tensor(shape: [count], scalars: partners.map { Float(classes[$0]) }),
        ]
        return try Dataset(
            name: "multifashion/\(split.rawValue)", inputs: Tensor(shape: [count, 1, canvas, canvas], scalars: overlaid),
            tasks: tasks, labels: labels)
    }

    /// For each example `i`, a seeded partner `j ≠ i` drawn uniformly from the split (itself when
    /// the split has one image); depends only on (seed, split, count).
    static func multiFashionPartners(count: Int, split: FashionMNIST.Split, seed: UInt64) -> [Int] {
        guard count > 1 else { return Array(0..<count) }
        var rng = RandomGenerator(seed: SeedStream.derive(seed, "multifashion/\(split.rawValue)/partners"))
        return (0..<count).map { i in
            let draw = rng.nextInt(below: count - 1)
            return draw >= i ? draw + 1 : draw
        }
    }
}
