import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct DataLoaderTests {
    @Test func everyIndexOnceWithPartialLastBatch() throws {
        let ds = try sampleDataset(count: 23)
        let loader = DataLoader(ds, batchSize: 5, seed: 4)
        let batches = Array(loader)
        #expect(loader.batchCount == 5)
        #expect(batches.count == 5)
        #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<23))
        #expect(batches.flatMap(\.indices) == loader.order)
        #expect(batches[4].inputs.shape == [3, 3])
        #expect(batches[0].labels["c"]!.shape == [5])
    }

    @Test func dropLastSkipsThePartialBatch() throws {
        let ds = try sampleDataset(count: 23)
        let loader = DataLoader(ds, batchSize: 5, dropLast: true, seed: 4)
        let batches = Array(loader)
        #expect(loader.batchCount == 4)
        #expect(batches.map(\.count) == [5, 5, 5, 5])
        #expect(Set(batches.flatMap(\.indices)).count == 20)
        #expect(Array(DataLoader(ds, batchSize: 30, dropLast: true, seed: 1)).isEmpty)
    }

    @Test func orderDependsOnlyOnSeedAndEpoch() throws {
        let ds = try sampleDataset(count: 50)
        let a = DataLoader(ds, batchSize: 8, seed: 11, epoch: 3).flatMap(\.indices)
        let b = DataLoader(ds, batchSize: 8, seed: 11, epoch: 3).flatMap(\.indices)
        let next = DataLoader(ds, batchSize: 8, seed: 11, epoch: 4).flatMap(\.indices)
        let otherSeed = DataLoader(ds, batchSize: 8, seed: 12, epoch: 3).flatMap(\.indices)
        #expect(a == b)
        #expect(a != next)
        #expect(a != otherSeed)
        #expect(a != Array(0..<50))
        var loader = DataLoader(ds, batchSize: 8, seed: 11)
        loader.epoch = 3
        #expect(loader.flatMap(\.indices) == a)
        #expect(DataLoader(ds, batchSize: 13, seed: 11, epoch: 3).flatMap(\.indices) == a)
    }

    @Test func shuffleOffGivesDatasetOrder() throws {
        let ds = try sampleDataset(count: 17)
        let batches = Array(DataLoader(ds, batchSize: 4, shuffle: false, seed: 99, epoch: 7))
        #expect(batches.flatMap(\.indices) == Array(0..<17))
        #expect(batches[1].inputs.scalars == [4, 40, 400, 5, 50, 500, 6, 60, 600, 7, 70, 700])
    }

    @Test func labelsTravelWithTheirInputs() throws {
        let ds = try sampleDataset(count: 40)
        for batch in DataLoader(ds, batchSize: 7, seed: 2) {
            let rows = batch.inputs.scalars
            for (k, index) in batch.indices.enumerated() {
                #expect(rows[3 * k] == Float(index))
                #expect(rows[3 * k + 2] == Float(100 * index))
                #expect(batch.labels["c"]!.scalars[k] == Float(index % 3))
                #expect(batch.labels["r"]!.scalars[k] == Float(index) / 2)
                let b = batch.labels["b"]!.scalars[k]
                #expect(index % 5 == 4 ? b.isNaN : b == Float(index % 2))
            }
        }
    }

    @Test func imageBatchesKeepTheExampleShape() throws {
        let images = Tensor(shape: [6, 1, 2, 2], scalars: (0..<24).map(Float.init))
        let ds = try Dataset(name: "img", inputs: images, tasks: [], labels: [:])
        var iterator = DataLoader(ds, batchSize: 4, shuffle: false, seed: 0).makeIterator()
        let first = iterator.next()
        let batch = try #require(first)
        #expect(batch.inputs.shape == [4, 1, 2, 2])
        #expect(batch.inputs.scalars == (0..<16).map(Float.init))
        #expect(batch.labels.isEmpty)
    }

    @Test func emptyDatasetYieldsNothing() throws {
        let ds = try sampleDataset(count: 0)
        let loader = DataLoader(ds, batchSize: 3, seed: 0)
        #expect(loader.batchCount == 0)
        #expect(Array(loader).isEmpty)
    }
}
