import NN
import Tensors

/// The tasks' gradients of the shared parameters as the rows of a matrix G (T × P, in Double),
/// for methods that work on whole gradient vectors: their Gram matrix GGᵀ, combinations Σ αₜgₜ,
/// and the way back to named tensors.
struct GradientMatrix {
    let names: [String]
    let shapes: [[Int]]
    var rows: [[Double]]

    init(_ gradients: [ParameterSet]) {
        let names = gradients[0].names
        self.names = names
        shapes = names.map { gradients[0][$0]!.shape }
        rows = gradients.map { set in names.flatMap { set[$0]!.scalars.map(Double.init) } }
    }

    var tasks: Int { rows.count }

    /// ⟨gᵢ, gⱼ⟩ for every pair.
    func gram() -> [[Double]] {
        (0..<tasks).map { i in (0..<tasks).map { j in Self.dot(rows[i], rows[j]) } }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for k in a.indices { sum += a[k] * b[k] }
        return sum
    }

    /// Σₜ αₜgₜ as a flat vector.
    func combination(_ weights: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: rows.first?.count ?? 0)
        for (row, w) in zip(rows, weights) where w != 0 {
            for k in out.indices { out[k] += w * row[k] }
        }
        return out
    }

    /// A flat vector back as named tensors of the gradients' shapes.
    func parameters(_ vector: [Double]) -> ParameterSet {
        var offset = 0
        return ParameterSet(zip(names, shapes).map { name, shape in
            let count = shape.reduce(1, *)
            defer { offset += count }
            return (name, Tensor(shape: shape, scalars: vector[offset ..< offset + count].map(Float.init)))
        })
    }
}
