import Foundation
import Tensors

extension TaskSuite {
    /// Tabular tasks with exactly known relatedness (see `SyntheticConfig`): x ~ N(0, I),
    /// y_t = w_t·x + noise (regression) or 1[w_t·x + noise > 0] (binary), tasks `task0`, `task1`,
    /// .... Returns the dataset of `split` and R[s][t], the cosine between the generated w_s and
    /// w_t; two regression tasks' labels correlate by R[s][t] / (1 + noise²). The weights depend
    /// only on the seed, so both splits share them; inputs and noise differ per split.
    public static func synthetic(_ config: SyntheticConfig, split: FashionMNIST.Split) -> (dataset: Dataset, relatedness: [[Double]]) {
        config.validate()
        let weights = syntheticWeights(config)
        let d = config.features
        let count = split == .train ? config.trainExamples : config.testExamples
        var inputRNG = RandomGenerator(seed: SeedStream.derive(config.seed, "synthetic/\(split.rawValue)/inputs"))
        var noiseRNG = RandomGenerator(seed: SeedStream.derive(config.seed, "synthetic/\(split.rawValue)/noise"))
        let x = (0..<count * d).map { _ in inputRNG.nextNormal() }
        var columns = [[Float]](repeating: [Float](repeating: 0, count: count), count: config.taskCount)
        for n in 0..<count {
            for (t, w) in weights.enumerated() {
                var score = 0.0
                for k in 0..<d { score += w[k] * Double(x[n * d + k]) }
                score += config.noise * Double(noiseRNG.nextNormal())
                columns[t][n] = config.kinds[t] == .regression ? Float(score) : (score > 0 ? 1 : 0)
            }
        }
        let group = config.groupIndices
        var tasks: [TaskInfo] = []
        var labels: [String: Tensor] = [:]
        for t in 0..<config.taskCount {
            let name = "task\(t)"
            let kind = config.kinds[t]
            let rule = kind == .regression ? "w·x + noise" : "1[w·x + noise > 0]"
            let summary = "\(rule), w at \(config.angles[t])° to the shared direction, group \(group[t]), noise \(config.noise)"
            tasks.append(TaskInfo(name: name, kind: kind.taskKind, summary: summary))
            labels[name] = Tensor(shape: [count], scalars: columns[t])
        }
        let relatedness = weights.map { ws in weights.map { wt in zip(ws, wt).reduce(0) { $0 + $1.0 * $1.1 } } }
        do {
            let dataset = try Dataset(
                name: "synthetic/\(split.rawValue)", inputs: Tensor(shape: [count, d], scalars: x), tasks: tasks, labels: labels)
            return (dataset, relatedness)
        } catch {
            fatalError("synthetic: generated an invalid dataset: \(error)")
        }
    }

    /// The unit weight vector of each task: cos θ_t·u + sin θ_t·v_group(t), where u and the v's
    /// come from Gram–Schmidt on seeded normal vectors (depending only on `config.seed`).
    static func syntheticWeights(_ config: SyntheticConfig) -> [[Double]] {
        let group = config.groupIndices
        let directions = orthonormalDirections(count: 1 + Set(group).count, dimension: config.features, seed: config.seed)
        return config.angles.indices.map { t in
            let theta = config.angles[t] * .pi / 180
            let v = directions[1 + group[t]]
            return zip(directions[0], v).map { cos(theta) * $0 + sin(theta) * $1 }
        }
    }

    /// `count` orthonormal vectors in R^dimension by modified Gram–Schmidt on seeded standard
    /// normal draws (a draw too close to the span so far is redrawn).
    static func orthonormalDirections(count: Int, dimension: Int, seed: UInt64) -> [[Double]] {
        var rng = RandomGenerator(seed: SeedStream.derive(seed, "synthetic/directions"))
        var basis: [[Double]] = []
        while basis.count < count {
            var v = (0..<dimension).map { _ in Double(rng.nextNormal()) }
            for b in basis {
                let projection = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                for k in 0..<dimension { v[k] -= projection * b[k] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-6 { basis.append(v.map { $0 / norm }) }
        }
        return basis
    }
}
