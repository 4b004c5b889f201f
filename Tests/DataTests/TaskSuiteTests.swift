import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct TaskSuiteTests {
    @Test func namesAndDispatch() throws {
        #expect(TaskSuite.names == ["fashion-attributes", "multifashion", "digit-parity", "synthetic"])
        let fake = try FakeFashionMNIST(trainCount: 20, testCount: 10)
        let attributes = try TaskSuite.load("fashion-attributes", split: .test, seed: 2, directory: fake.directory)
        #expect(attributes.count == 10 && attributes.tasks.count == 11)
        let pairs = try TaskSuite.load("multifashion", split: .train, seed: 2, directory: fake.directory)
        #expect(pairs.exampleShape == [1, 36, 36])
        // digit + parity from any folder of IDX files (MNIST's have the same names).
        let digits = try TaskSuite.load("digit-parity", split: .train, seed: 2, directory: fake.directory)
        let classes = try FashionMNIST.load(.train, directory: fake.directory).labels
        #expect(digits.exampleShape == [1, 28, 28] && digits.taskNames == ["digit", "parity"])
        #expect(digits.labels["digit"]!.scalars == classes.map(Float.init) && digits.labels["parity"]!.scalars == classes.map { Float($0 % 2) })
        #expect(classes.contains { $0 % 2 == 1 } && classes.contains { $0 % 2 == 0 })
        let synthetic = try TaskSuite.load("synthetic", split: .test, seed: 2)
        #expect(synthetic.inputs == TaskSuite.synthetic(SyntheticConfig(seed: 2), split: .test).dataset.inputs)
    }

    @Test func unknownSuiteListsTheNames() {
        let error = dataError { try TaskSuite.load("mnist", split: .train, seed: 0) }
        #expect(error == .unknownSuite("mnist", known: TaskSuite.names))
        #expect(error?.description == "unknown task suite 'mnist'; known suites: fashion-attributes, multifashion, digit-parity, synthetic")
    }

    @Test func missingDataNamesTheDirectory() throws {
        let dir = try makeTemporaryDirectory()
        #expect(dataError { try TaskSuite.load("multifashion", split: .test, seed: 0, directory: dir) }?.path?.hasPrefix(dir.path) == true)
    }
}
