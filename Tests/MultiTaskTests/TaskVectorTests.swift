import Foundation
@testable import MultiTask
import NN
import Tensors
import Testing

/// Task vectors' measures on hand-built cases: the Jacobi eigensolver, the Subspace Alignment
/// Ratio, cosines.
@Suite("Task vectors")
struct TaskVectorTests {
    /// A·v = λ·v for every pair, and the eigenvectors are orthonormal (random symmetric 12×12).
    @Test func jacobiEigenpairs() {
        var rng = RandomGenerator(seed: 2)
        let n = 12
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let x = Double(rng.nextNormal()); a[i * n + j] = x; a[j * n + i] = x } }
        let (values, vectors) = SymmetricEigen.decompose(a, size: n)
        for (lambda, v) in zip(values, vectors) {
            for i in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * v[$1] }
                #expect(Swift.abs(av - lambda * v[i]) < 1e-10)
            }
        }
        for i in 0..<n { for j in 0..<n {
            let dot = (0..<n).reduce(0.0) { $0 + vectors[i][$1] * vectors[j][$1] }
            #expect(Swift.abs(dot - (i == j ? 1 : 0)) < 1e-10)
        } }
    }

    /// Merged update e₁·(1, 1, 1): its dominant subspace is e₁. A task update along e₁ has SAR 1,
    /// one along e₂ has 0, one split evenly has √½; biases are left out.
    @Test func alignmentRatio() {
        let merged = ParameterSet([("w", Tensor(shape: [2, 3], scalars: [1, 1, 1, 0, 0, 0])), ("b", Tensor([1, 1]))])
        func vector(_ w: [Float]) -> ParameterSet { ParameterSet([("w", Tensor(shape: [2, 3], scalars: w)), ("b", Tensor([5, -5]))]) }
        #expect(Swift.abs(TaskVectors.alignmentRatio(vector([2, 0, -1, 0, 0, 0]), merged: merged) - 1) < 1e-12)
        #expect(TaskVectors.alignmentRatio(vector([0, 0, 0, 1, 2, 3]), merged: merged) == 0)
        #expect(Swift.abs(TaskVectors.alignmentRatio(vector([1, 0, 0, 1, 0, 0]), merged: merged) - 0.5.squareRoot()) < 1e-12)
        #expect(TaskVectors.alignmentRatio(vector([0, 0, 0, 0, 0, 0]), merged: merged).isNaN, "nothing to measure is not a perfect score")
        // A full-rank merge keeps only the directions holding 95% of its energy: diag(10, 1) keeps
        // e₁ only (√(100/101) ≥ 0.95), diag(10, 5) both.
        let skewed = ParameterSet([("w", Tensor(shape: [2, 2], scalars: [10, 0, 0, 1]))])
        let second = ParameterSet([("w", Tensor(shape: [2, 2], scalars: [0, 0, 0, 1]))])
        #expect(TaskVectors.alignmentRatio(second, merged: skewed) == 0)
        #expect(Swift.abs(TaskVectors.alignmentRatio(second, merged: ParameterSet([("w", Tensor(shape: [2, 2], scalars: [10, 0, 0, 5]))])) - 1) < 1e-12)
    }

    @Test func vectorsAndCosines() throws {
        let pre = ParameterSet([("trunk.w", Tensor([1, 1])), ("heads.a.w", Tensor([0]))])
        let a = ParameterSet([("trunk.w", Tensor([2, 1])), ("heads.a.w", Tensor([3]))])
        let b = ParameterSet([("trunk.w", Tensor([1, 3])), ("heads.a.w", Tensor([3]))])
        let trunk = { (name: String) in name.hasPrefix("trunk.") }
        let ta = try TaskVectors.make(pretrained: pre, finetuned: a, include: trunk), tb = try TaskVectors.make(pretrained: pre, finetuned: b, include: trunk)
        #expect(ta.names == ["trunk.w"] && ta["trunk.w"]!.scalars == [1, 0])
        let matrix = TaskVectors.cosineMatrix(tasks: ["a", "b"], vectors: [ta, tb])
        #expect(matrix.values == [[1, 0], [0, 1]])
        #expect(throws: ConfigurationError.self) { try TaskVectors.make(pretrained: pre, finetuned: a, include: { _ in false }) }
        #expect(throws: ConfigurationError.self) { try TaskVectors.make(pretrained: pre, finetuned: ParameterSet([("trunk.w", Tensor([1]))]), include: trunk) }
    }
}
