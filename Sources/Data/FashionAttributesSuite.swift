import Foundation
import Tensors

extension TaskSuite {
    /// A binary attribute that holds exactly for a set of Fashion-MNIST classes.
    struct ClassAttribute {
        /// The task name.
        var name: String
        /// The classes for which the attribute is 1.
        var classes: Set<Int>
        /// What the attribute means.
        var meaning: String
    }

    /// The class-derived attributes of `fashion-attributes`, in task order.
    static let fashionClassAttributes: [ClassAttribute] = [
        ClassAttribute(name: "footwear", classes: [5, 7, 9], meaning: "sandal, sneaker, ankle boot"),
        ClassAttribute(name: "upper", classes: [0, 2, 4, 6], meaning: "upper-body garment: T-shirt/top, pullover, coat, shirt"),
        ClassAttribute(name: "long_sleeves", classes: [2, 4, 6], meaning: "pullover, coat, shirt"),
        ClassAttribute(name: "lower_body", classes: [1, 3], meaning: "trouser, dress"),
        ClassAttribute(name: "warm", classes: [2, 4, 9], meaning: "pullover, coat, ankle boot"),
        ClassAttribute(name: "bag", classes: [8], meaning: "bag"),
    ]

    /// The share of `footwear` labels flipped in `footwear_noisy`.
    static let footwearNoiseRate = 0.1

    /// The pixel value above which a row counts as covered for `height`.
    static let heightThreshold: Float = 0.1

    /// CelebA-style attributes of Fashion-MNIST, inputs `[N, 1, 28, 28]`, 11 tasks:
    /// `class` (10-way); binary `footwear` {5,7,9}, `upper` {0,2,4,6}, `long_sleeves` {2,4,6},
    /// `lower_body` {1,3}, `warm` {2,4,9}, `bag` {8}; regression `brightness` (mean pixel) and
    /// `height` (fraction of the 28 rows holding a pixel > 0.1); `footwear_noisy` (footwear with
    /// exactly 10% of examples flipped) and `random` (coin flips, a control). Expect footwear ≈
    /// footwear_noisy, upper ≈ long_sleeves, class to inform every attribute, brightness and
    /// height to relate only partly to garment type (height mostly tracks footwear), and random
    /// to relate to nothing; docs/SUITES.md gives details. Noise and random labels depend on (seed, split).
    public static func fashionAttributes(_ split: FashionMNIST.Split, seed: UInt64, directory: URL? = nil) throws -> Dataset {
        let (images, classes) = try FashionMNIST.load(split, directory: directory)
        let count = classes.count
        let stream = "fashion-attributes/\(split.rawValue)"
        var tasks = [TaskInfo(name: "class", kind: .multiclass(classes: 10), summary: "the Fashion-MNIST class, 0...9")]
        var labels = ["class": Tensor(shape: [count], scalars: classes.map(Float.init))]
        for attribute in fashionClassAttributes {
            let codes = attribute.classes.sorted().map(String.init).joined(separator: ",")
            tasks.append(TaskInfo(name: attribute.name, kind: .binary, summary: "1 iff class ∈ {\(codes)}: \(attribute.meaning)"))
            labels[attribute.name] = Tensor(shape: [count], scalars: classes.map { attribute.classes.contains($0) ? 1 : 0 })
        }
        let (brightness, height) = imageMeasures(images)
        tasks.append(TaskInfo(name: "brightness", kind: .regression, summary: "mean pixel value of the image, in [0, 1]"))
        labels["brightness"] = Tensor(shape: [count], scalars: brightness)
        tasks.append(TaskInfo(name: "height", kind: .regression, summary: "fraction of the 28 rows holding a pixel > 0.1 (vertical extent)"))
        labels["height"] = Tensor(shape: [count], scalars: height)

        var noisy = labels["footwear"]!.scalars
        var flipRNG = RandomGenerator(seed: SeedStream.derive(seed, stream + "/footwear_noisy"))
        for i in flipRNG.permutation(count).prefix(Int((Double(count) * footwearNoiseRate).rounded())) { noisy[i] = 1 - noisy[i] }
        tasks.append(TaskInfo(name: "footwear_noisy", kind: .binary, summary: "footwear with exactly 10% of examples flipped (seeded)"))
        labels["footwear_noisy"] = Tensor(shape: [count], scalars: noisy)

        var coinRNG = RandomGenerator(seed: SeedStream.derive(seed, stream + "/random"))
        tasks.append(TaskInfo(name: "random", kind: .binary, summary: "seeded fair coin flips, unrelated to the image (control)"))
        labels["random"] = Tensor(shape: [count], scalars: (0..<count).map { _ in Float(coinRNG.next() >> 63) })

        return try Dataset(name: "fashion-attributes/\(split.rawValue)", inputs: images, tasks: tasks, labels: labels)
    }

    /// Per image `[.., 28, 28]`: the mean pixel (summed in Double) and the fraction of rows
    /// holding a pixel above `heightThreshold`.
    static func imageMeasures(_ images: Tensor) -> (brightness: [Float], height: [Float]) {
        let side = FashionMNIST.side
        let pixels = side * side
        let count = images.shape[0]
        var brightness = [Float](repeating: 0, count: count)
        var height = [Float](repeating: 0, count: count)
        images.withUnsafeBufferPointer { x in
            for n in 0..<count {
                var sum = 0.0
                var rows = 0
                for r in 0..<side {
                    var covered = false
                    for c in 0..<side {
                        let value = x[n * pixels + r * side + c]
                        sum += Double(value)
                        covered = covered || value > heightThreshold
                    }
                    if covered { rows += 1 }
                }
                brightness[n] = Float(sum / Double(pixels))
                height[n] = Float(rows) / Float(side)
            }
        }
        return (brightness, height)
    }
}
