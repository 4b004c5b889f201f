import Foundation
import Tensors
import Testing
import TestSupport
@testable import Data

@Suite struct MultiFashionTests {
    @Test func overlaysTheOwnImageAndASeededPartner() throws {
        let fake = try FakeFashionMNIST(trainCount: 40, testCount: 10)
        let ds = try TaskSuite.multiFashion(.train, seed: 3, directory: fake.directory)
        #expect(ds.name == "multifashion/train")
        #expect(ds.inputs.shape == [40, 1, 36, 36])
        #expect(ds.taskNames == ["left", "right"])
        #expect(ds.tasks.map(\.kind) == [.multiclass(classes: 10), .multiclass(classes: 10)])
        let classes = fake.trainLabels.map(Float.init)
        #expect(ds.labels["left"]!.scalars == classes)
        let partners = TaskSuite.multiFashionPartners(count: 40, split: .train, seed: 3)
        #expect(partners.enumerated().allSatisfy { $0.offset != $0.element && $0.element >= 0 && $0.element < 40 })
        #expect(ds.labels["right"]!.scalars == partners.map { classes[$0] })
        let images = fake.trainPixels.map { Float($0) / 255 }
        let canvas = ds.inputs.scalars
        for n in 0..<40 {
            for r in 0..<36 {
                for c in 0..<36 {
                    let left: Float = r < 28 && c < 28 ? images[n * 784 + r * 28 + c] : 0
                    let right: Float = r >= 8 && c >= 8 ? images[partners[n] * 784 + (r - 8) * 28 + (c - 8)] : 0
                    #expect(canvas[n * 1296 + r * 36 + c] == max(left, right))
                }
            }
        }
    }

    @Test func partnersAreDeterministicPerSeedAndSplit() {
        let a = TaskSuite.multiFashionPartners(count: 500, split: .train, seed: 1)
        #expect(a == TaskSuite.multiFashionPartners(count: 500, split: .train, seed: 1))
        #expect(a != TaskSuite.multiFashionPartners(count: 500, split: .train, seed: 2))
        #expect(a != TaskSuite.multiFashionPartners(count: 500, split: .test, seed: 1))
        #expect(Set(a).count > 250)
        #expect(TaskSuite.multiFashionPartners(count: 1, split: .test, seed: 0) == [0])
    }

    @Test(.enabled(if: hasRealFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func realTestSplitShapes() throws {
        let ds = try TaskSuite.multiFashion(.test, seed: 0, directory: realFashionMNIST)
        let (_, labels) = try FashionMNIST.load(.test, directory: realFashionMNIST)
        #expect(ds.inputs.shape == [10000, 1, 36, 36])
        #expect(ds.labels["left"]!.scalars == labels.map(Float.init))
        #expect(ds.labels["right"]!.scalars != labels.map(Float.init))
        #expect(ds.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
