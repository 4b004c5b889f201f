import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct NormalizationTests {
    let inputs = Tensor(shape: [4, 2], scalars: [1, 5, 3, 5, 5, 5, 7, 5])

    @Test func perFeatureFitsEachColumn() {
        let norm = Normalization.fit(inputs, perFeature: true)
        #expect(norm.mean == [4, 5])
        #expect(abs(norm.std[0] - Float(5).squareRoot()) < 1e-6)
        #expect(norm.std[1] == 1)
        let applied = norm.apply(inputs).scalars
        #expect(applied[1] == 0 && applied[7] == 0)
        let column = stride(from: 0, to: 8, by: 2).map { applied[$0] }
        #expect(abs(column.reduce(0, +)) < 1e-6)
        #expect(abs(column.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-5)
    }

    @Test func globalFitsAllElementsAndAppliesToOtherSplits() {
        let norm = Normalization.fit(inputs, perFeature: false)
        #expect(norm.mean == [4.5])
        #expect(abs(norm.std[0] - Float(2.75).squareRoot()) < 1e-6)
        let other = Tensor(shape: [1, 2, 1], scalars: [4.5, 4.5 + Float(2.75).squareRoot()])
        let applied = norm.apply(other)
        #expect(applied.shape == [1, 2, 1])
        #expect(applied.scalars[0] == 0)
        #expect(abs(applied.scalars[1] - 1) < 1e-6)
    }

    @Test func imageShapedInputsNormalizePerPixel() throws {
        let images = Tensor(shape: [2, 1, 2, 2], scalars: [0, 1, 2, 3, 2, 3, 4, 5])
        let norm = Normalization.fit(images, perFeature: true)
        #expect(norm.mean == [1, 2, 3, 4])
        #expect(norm.std == [1, 1, 1, 1])
        #expect(norm.apply(images).scalars == [-1, -1, -1, -1, 1, 1, 1, 1])
        let decoded = try JSONDecoder().decode(Normalization.self, from: JSONEncoder().encode(norm))
        #expect(decoded == norm)
    }
}
