import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct DatasetTests {
    @Test func basicProperties() throws {
        let ds = try sampleDataset()
        #expect(ds.count == 20)
        #expect(ds.exampleShape == [3])
        #expect(ds.taskNames == ["c", "b", "r"])
        #expect(ds.task(named: "b")?.kind == .binary)
        #expect(ds.task(named: "zz") == nil)
    }

    @Test func initRejectsInconsistentLabelsNamingTheTask() {
        let inputs = Tensor.zeros([4, 2])
        func make(_ kind: TaskKind, _ values: [Float]) -> DataError? {
            dataError { try Dataset(name: "d", inputs: inputs, tasks: [TaskInfo(name: "t", kind: kind)], labels: ["t": Tensor(values)]) }
        }
        #expect(make(.binary, [0, 1, 1, 0]) == nil)
        #expect(make(.binary, [0, 1, .nan, 0]) == nil)
        #expect(make(.multiclass(classes: 3), [0, 2, .nan, 1]) == nil)
        #expect(make(.regression, [0.5, -3, .nan, 1e6]) == nil)
        let cases: [(TaskKind, [Float], String)] = [
            (.binary, [0, 1, 2, 0], "example 2: label 2.0 is not 0 or 1"),
            (.multiclass(classes: 3), [0, 3, 1, 1], "example 1: label 3.0 is not a class index in 0..<3"),
            (.multiclass(classes: 3), [0, 1, 1.5, 1], "example 2"),
            (.multiclass(classes: 3), [-1, 1, 1, 1], "example 0"),
            (.multiclass(classes: 0), [.nan, .nan, .nan, .nan], "at least 1 class"),
            (.regression, [0, .infinity, 1, 1], "example 1: label inf is not a finite number"),
            (.regression, [0, 1, 1], "labels have shape [3], expected [4]"),
        ]
        for (kind, values, message) in cases {
            guard case .invalidDataset(let dataset, let task, let reason) = make(kind, values) else {
                Issue.record("expected an error for \(kind) \(values)")
                continue
            }
            #expect(dataset == "d")
            #expect(task == "t")
            #expect(reason.contains(message), "\(reason)")
        }
    }

    @Test func initRejectsMissingExtraAndDuplicateTasks() {
        let inputs = Tensor.zeros([2, 1])
        let info = TaskInfo(name: "t", kind: .binary)
        let labels = Tensor([0, 1])
        #expect(dataError { try Dataset(name: "d", inputs: inputs, tasks: [info], labels: [:]) }
            == .invalidDataset(dataset: "d", task: "t", reason: "no labels given for the task"))
        #expect(dataError { try Dataset(name: "d", inputs: inputs, tasks: [info, info], labels: ["t": labels]) }
            == .invalidDataset(dataset: "d", task: "t", reason: "the task is listed twice"))
        #expect(dataError { try Dataset(name: "d", inputs: inputs, tasks: [info], labels: ["t": labels, "u": labels]) }?.description
            == "dataset 'd', task 'u': labels given for a task that is not listed in `tasks`")
        #expect(dataError { try Dataset(name: "d", inputs: Tensor(3), tasks: [], labels: [:]) } != nil)
    }

    @Test func subsetGathersRowsAndLabelsInOrder() throws {
        let ds = try sampleDataset()
        let sub = ds.subset([7, 2, 7, 19])
        #expect(sub.count == 4)
        #expect(sub.inputs.scalars == [7, 70, 700, 2, 20, 200, 7, 70, 700, 19, 190, 1900])
        #expect(sub.labels["c"]!.scalars == [1, 2, 1, 1])
        #expect(sub.labels["r"]!.scalars == [3.5, 1, 3.5, 9.5])
        #expect(sub.labels["b"]!.scalars[3].isNaN)
        #expect(sub.tasks == ds.tasks)
        #expect(ds.subset([]).inputs.shape == [0, 3])
    }

    @Test func selectingKeepsNamedTasksInGivenOrder() throws {
        let ds = try sampleDataset()
        let picked = try ds.selecting(tasks: ["r", "c"])
        #expect(picked.taskNames == ["r", "c"])
        #expect(Set(picked.labels.keys) == ["r", "c"])
        #expect(picked.inputs == ds.inputs)
        let error = dataError { try ds.selecting(tasks: ["c", "nope"]) }
        #expect(error == .unknownTask("nope", known: ["c", "b", "r"]))
        #expect(error?.description == "unknown task 'nope'; known tasks: c, b, r")
    }

    @Test func splitPartitionsDeterministically() throws {
        let ds = try sampleDataset(count: 100)
        let (train, validation) = ds.split(validationFraction: 0.25, seed: 9)
        #expect(train.count == 75)
        #expect(validation.count == 25)
        let trainIDs = train.inputs.scalars.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) }
        let validationIDs = validation.inputs.scalars.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) }
        #expect(Set(trainIDs + validationIDs) == Set(0..<100))
        #expect(trainIDs == trainIDs.sorted())
        #expect(train.labels["r"]!.scalars == trainIDs.map { Float($0) / 2 })
        let again = ds.split(validationFraction: 0.25, seed: 9)
        #expect(again.validation.inputs == validation.inputs)
        #expect(ds.split(validationFraction: 0.25, seed: 10).validation.inputs != validation.inputs)
        #expect(ds.split(validationFraction: 0, seed: 1).train.count == 100)
        #expect(ds.split(validationFraction: 1, seed: 1).validation.count == 100)
        #expect(train.name == "sample/train")
    }

    @Test func balancedCutsEveryClassToTheMinority() throws {
        let labels: [Float] = [0, 0, 0, 0, 0, 0, 1, 1, .nan, 2, 2, 2, 2, 1, .nan]
        let inputs = Tensor(shape: [labels.count, 1], scalars: (0..<labels.count).map(Float.init))
        let ds = try Dataset(
            name: "d", inputs: inputs,
            tasks: [TaskInfo(name: "k", kind: .multiclass(classes: 4)), TaskInfo(name: "v", kind: .regression)],
            labels: ["k": Tensor(labels), "v": Tensor(labels.indices.map { Float($0) * 10 })])
        let balanced = try ds.balanced(on: "k", seed: 3)
        let kept = balanced.inputs.scalars.map { Int($0) }
        #expect(balanced.count == 9)
        #expect(kept == kept.sorted())
        #expect(kept.filter { labels[$0] == 1 } == [6, 7, 13])
        #expect(kept.filter { labels[$0] == 0 }.count == 3)
        #expect(kept.filter { labels[$0] == 2 }.count == 3)
        #expect(balanced.labels["v"]!.scalars == kept.map { Float($0) * 10 })
        #expect(try ds.balanced(on: "k", seed: 3).inputs == balanced.inputs)
        let variants = Set((0..<20).map { seed in try! ds.balanced(on: "k", seed: UInt64(seed)).inputs.scalars })
        #expect(variants.count > 1)
    }

    @Test func balancedRejectsRegressionAndUnknownTasks() throws {
        let ds = try sampleDataset()
        #expect(dataError { try ds.balanced(on: "r", seed: 0) }
            == .invalidDataset(dataset: "sample", task: "r", reason: "balancing needs a multiclass or binary task, the task is regression"))
        #expect(dataError { try ds.balanced(on: "x", seed: 0) } == .unknownTask("x", known: ["c", "b", "r"]))
        let binary = try ds.balanced(on: "b", seed: 1)
        #expect(binary.count == 16)
        #expect(binary.labels["b"]!.scalars.filter { $0 == 1 }.count == 8)
    }

    @Test func taskKindDescriptionsAndCoding() throws {
        #expect(TaskKind.multiclass(classes: 10).description == "multiclass(10)")
        #expect(TaskKind.binary.classCount == 2)
        #expect(TaskKind.regression.classCount == nil)
        #expect(!TaskKind.regression.isClassification)
        let info = TaskInfo(name: "a", kind: .multiclass(classes: 4), summary: "s")
        let decoded = try JSONDecoder().decode(TaskInfo.self, from: JSONEncoder().encode(info))
        #expect(decoded == info)
    }
}
