/// The averaging TAG uses for sampled affinities: a mean over the samples of each epoch, then a
/// mean (or, as an option, the sum) of those epoch means. An unfinished last epoch counts with the
/// samples it has.
struct EpochMeans {
    private let size: Int
    private var sum: [[Double]], count = 0
    private var epochMeans: [[[Double]]] = []
    private(set) var steps: [Int] = []

    init(size: Int) {
        self.size = size
        sum = Array(repeating: Array(repeating: 0, count: size), count: size)
    }

    /// Every sample as it was taken (step, values), when kept (`mtk affinity --per-step`).
    var keepSamples = false
    private(set) var samples: [(step: Int, values: [[Double]])] = []

    mutating func add(_ sample: [[Double]], step: Int) {
        if keepSamples { samples.append((step, sample)) }
        for i in 0..<size { for j in 0..<size { sum[i][j] += sample[i][j] } }
        count += 1
        steps.append(step)
    }

    mutating func endEpoch() {
        guard count > 0 else { return }
        epochMeans.append(sum.map { $0.map { $0 / Double(count) } })
        sum = Array(repeating: Array(repeating: 0, count: size), count: size)
        count = 0
    }

    /// Everything gathered, as numbers (`TrainingObserver.state`); `seconds` rides along.
    func encoded(seconds: Double) -> [String: [Double]] {
        var out: [String: [Double]] = ["sum": sum.flatMap { $0 }, "count": [Double(count)], "epochs": epochMeans.flatMap { $0.flatMap { $0 } },
                                       "steps": steps.map(Double.init), "seconds": [seconds]]
        if keepSamples {
            out["sample-steps"] = samples.map { Double($0.step) }
            out["samples"] = samples.flatMap { $0.values.flatMap { $0 } }
        }
        return out
    }

    /// Restores `encoded`; returns its seconds. Malformed state is ignored (and starts empty).
    mutating func decode(_ state: [String: [Double]]) -> Double {
        let cell = size * size
        guard let flat = state["sum"], flat.count == cell, let count = state["count"]?.first, let epochs = state["epochs"], epochs.count % max(cell, 1) == 0,
              let steps = state["steps"] else { return 0 }
        func square(_ values: ArraySlice<Double>) -> [[Double]] { (0..<size).map { i in Array(values[(values.startIndex + i * size)..<(values.startIndex + (i + 1) * size)]) } }
        sum = square(flat[...])
        self.count = Int(count)
        epochMeans = stride(from: 0, to: epochs.count, by: cell).map { square(epochs[$0..<($0 + cell)]) }
        self.steps = steps.map { Int($0) }
        if keepSamples, let at = state["sample-steps"], let values = state["samples"], values.count == at.count * cell {
            samples = at.enumerated().map { (k, step) in (Int(step), square(values[(k * cell)..<((k + 1) * cell)])) }
        }
        return state["seconds"]?.first ?? 0
    }

    /// Mean (or sum) over epochs of the per-epoch means; NaN where nothing was sampled.
    func result(sumOfEpochs: Bool) -> [[Double]] {
        var means = epochMeans
        if count > 0 { means.append(sum.map { $0.map { $0 / Double(count) } }) }
        guard !means.isEmpty else { return Array(repeating: Array(repeating: .nan, count: size), count: size) }
        return (0..<size).map { i in
            (0..<size).map { j in
                let total = means.reduce(0) { $0 + $1[i][j] }
                return sumOfEpochs ? total : total / Double(means.count)
            }
        }
    }
}

/// What every affinity estimator offers once training has run.
public protocol AffinityEstimator: TrainingObserver {
    /// The estimator's matrix so far (row = source, column = target).
    func matrix() -> AffinityMatrix
    /// Keep every sample for `samples()` (off by default: a long run samples many).
    func keepSamples()
    /// The samples taken so far, in order: the step and its matrix (row = source).
    func samples() -> [(step: Int, values: [[Double]])]
}
