import Foundation
import Tensors
import Testing
import TestSupport
@testable import Data

@Suite struct FashionAttributesTests {
    static let attributeClasses: [String: Set<Int>] = [
        "footwear": [5, 7, 9], "upper": [0, 2, 4, 6], "long_sleeves": [2, 4, 6], "lower_body": [1, 3], "warm": [2, 4, 9], "bag": [8],
    ]

    @Test func hasTheDocumentedTasksAndKinds() throws {
        let fake = try FakeFashionMNIST()
        let ds = try TaskSuite.fashionAttributes(.train, seed: 1, directory: fake.directory)
        #expect(ds.name == "fashion-attributes/train")
        #expect(ds.taskNames == [
            "class", "footwear", "upper", "long_sleeves", "lower_body", "warm", "bag", "brightness", "height", "footwear_noisy", "random",
        ])
        #expect(ds.tasks.map(\.kind) == [.multiclass(classes: 10)] + Array(repeating: .binary, count: 6) + [.regression, .regression, .binary, .binary])
        #expect(ds.tasks.allSatisfy { !$0.summary.isEmpty })
        #expect(ds.inputs.shape == [60, 1, 28, 28])
    }

    @Test func derivedLabelsFollowTheClassAndTheImage() throws {
        let fake = try FakeFashionMNIST()
        let ds = try TaskSuite.fashionAttributes(.train, seed: 1, directory: fake.directory)
        try Self.checkDerivedLabels(ds)
        #expect(ds.labels["class"]!.scalars == fake.trainLabels.map(Float.init))
    }

    @Test func noisyFootwearFlipsExactlyTenPercentDeterministically() throws {
        let fake = try FakeFashionMNIST(trainCount: 60, testCount: 30)
        let train = try TaskSuite.fashionAttributes(.train, seed: 5, directory: fake.directory)
        let test = try TaskSuite.fashionAttributes(.test, seed: 5, directory: fake.directory)
        #expect(Self.disagreements(train, "footwear", "footwear_noisy") == 6)
        #expect(Self.disagreements(test, "footwear", "footwear_noisy") == 3)
        let again = try TaskSuite.fashionAttributes(.train, seed: 5, directory: fake.directory)
        #expect(again.labels["footwear_noisy"] == train.labels["footwear_noisy"])
        #expect(again.labels["random"] == train.labels["random"])
        let other = try TaskSuite.fashionAttributes(.train, seed: 6, directory: fake.directory)
        #expect(other.labels["footwear_noisy"] != train.labels["footwear_noisy"])
        #expect(other.labels["random"] != train.labels["random"])
        #expect(other.labels["footwear"] == train.labels["footwear"])
    }

    @Test(.enabled(if: hasRealFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func realTestSplitRelations() throws {
        let ds = try TaskSuite.fashionAttributes(.test, seed: 0, directory: realFashionMNIST)
        #expect(ds.count == 10000)
        try Self.checkDerivedLabels(ds)
        #expect(Self.disagreements(ds, "footwear", "footwear_noisy") == 1000)
        let heads = ds.labels["random"]!.scalars.filter { $0 == 1 }.count
        #expect(heads > 4800 && heads < 5200)
        let s = { (name: String) in ds.labels[name]!.scalars }
        #expect(correlation(s("footwear"), s("footwear_noisy")) > 0.7)
        #expect(correlation(s("upper"), s("long_sleeves")) > 0.7)
        for task in ["footwear", "upper", "warm", "brightness", "height", "footwear_noisy"] {
            #expect(abs(correlation(s("random"), s(task))) < 0.05, "random vs \(task)")
        }
        #expect(s("height").allSatisfy { $0 > 0 && $0 <= 1 })
    }

    /// Checks every class-derived attribute against `class`, and brightness and height against the pixels.
    static func checkDerivedLabels(_ ds: Dataset) throws {
        let classes = ds.labels["class"]!.scalars.map { Int($0) }
        for (name, members) in attributeClasses {
            #expect(ds.labels[name]!.scalars == classes.map { members.contains($0) ? 1 : 0 }, "\(name)")
        }
        let pixels = ds.inputs.scalars
        let brightness = ds.labels["brightness"]!.scalars
        let height = ds.labels["height"]!.scalars
        for n in 0..<ds.count {
            let image = pixels[(n * 784)..<((n + 1) * 784)]
            let mean = image.reduce(0.0) { $0 + Double($1) } / 784
            #expect(abs(Double(brightness[n]) - mean) < 1e-6)
            let rows = (0..<28).filter { r in image[(n * 784 + r * 28)..<(n * 784 + r * 28 + 28)].contains { $0 > 0.1 } }.count
            #expect(height[n] == Float(rows) / 28)
        }
    }

    /// The number of examples whose labels differ between two tasks.
    static func disagreements(_ ds: Dataset, _ a: String, _ b: String) -> Int {
        zip(ds.labels[a]!.scalars, ds.labels[b]!.scalars).filter { $0 != $1 }.count
    }
}
