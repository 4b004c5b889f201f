import Files
import Foundation
import NN

/// Pairwise training (Standley et al. 2020, "Which Tasks Should Be Learned Together in
/// Multi-task Learning?"): every task alone and every pair, each a cached unit
/// (`TaskSetTraining`). The matrix holds validation losses (lower is better), row = source,
/// column = target: `values[b][a]` is task a's loss in the network of {a, b}, the diagonal a's
/// single-task loss. Network selection over it scores a group's member a by the mean of
/// `values[b][a]` over the other members b: Standley's higher-order approximation (HOA).
/// Their early-stopping approximation (ESA) is the same from networks trained for a fraction of
/// the epochs (`earlyStopped`).
public enum PairwiseTraining {
    public static let methods = ["pairwise", "esa"]

    /// The settings of ESA's networks: `fraction` of the epochs (at least one); a schedule spans
    /// the shorter run.
    public static func earlyStopped(_ training: TrainingConfig, fraction: Double) throws -> TrainingConfig {
        guard fraction > 0, fraction <= 1 else { throw ConfigurationError("esa fraction must be in (0, 1], got \(fraction)") }
        var short = training
        short.epochs = Swift.max(1, Int((Double(training.epochs) * fraction).rounded()))
        return short
    }

    /// Trains (or reads) every single task and pair with `units`; nil when stopped (resumable).
    /// `method` names the matrix (`pairwise` or `esa`).
    public static func train(_ units: TaskSetTraining, method: String, onEvent: ((TrainingEvent) -> Void)? = nil,
                             shouldStop: @escaping () -> Bool = { false }, log: (String) -> Void = { _ in }) throws -> AffinityMatrix? {
        let tasks = units.data.tasks.map(\.name)
        guard tasks.count >= 2 else { throw ConfigurationError("pairwise training needs at least two tasks; the data has \(tasks.joined(separator: ", "))") }
        let sets = GroundTruth.taskSets(count: tasks.count).filter { $0.count <= 2 }
        var losses: [[Int]: [Double]] = [:], records: [TaskSetRecord] = []
        for (k, set) in sets.enumerated() {
            let names = set.map { tasks[$0] }
            let label = "\(method) network \(k + 1)/\(sets.count): \(names.joined(separator: "+"))"
            let cached = try units.cached(names)
            if cached == nil { log("\(label): training") }
            guard let record = try cached ?? units.train(names, onEvent: onEvent, shouldStop: shouldStop) else { return nil }
            log("\(label): \(cached == nil ? "done" : "done before"), \(record.validationSummary)")
            losses[set] = names.map { record.result.validation[$0]!.loss }
            records.append(record)
        }
        var values = [[Double]](repeating: [Double](repeating: .nan, count: tasks.count), count: tasks.count)
        for a in tasks.indices {
            values[a][a] = losses[[a]]![0]
            for b in tasks.indices where b != a { values[b][a] = losses[[Swift.min(a, b), Swift.max(a, b)]]![a < b ? 0 : 1] }
        }
        let training = units.training
        return AffinityMatrix(tasks: tasks, values: values, method: method,
                              settings: ["epochs": "\(training.epochs)", "seed": "\(training.seed)", "values": "validation loss of the column task trained with the row task (diagonal: alone)"],
                              seconds: records.reduce(0) { $0 + $1.seconds }, lowerIsBetter: true, computeSeconds: CPUTime.total(records.map(\.cpuSeconds)))
    }

    /// `mtk pairwise`: the matrices of `methods` (`pairwise`, `esa`) for `config`'s data and model,
    /// their networks cached in `directory/networks`, each matrix written to
    /// `directory/affinity/METHOD.json` and `.csv`. Nil when stopped (finished networks kept).
    package static func study(_ config: RunConfig, methods: [String], esaFraction: Double, directory: URL, onEvent: ((TrainingEvent) -> Void)? = nil,
                              shouldStop: @escaping () -> Bool = { false }, log: (String) -> Void = { _ in }) throws -> [AffinityMatrix]? {
        if let unknown = methods.first(where: { !PairwiseTraining.methods.contains($0) }) {
            throw ConfigurationError("method: unknown '\(unknown)' (known: \(PairwiseTraining.methods.joined(separator: ", ")))")
        }
        let short = try earlyStopped(config.training, fraction: esaFraction)  // before the data is loaded, as every check
        try RunDirectory.refuseInsideRun(directory, for: "pairwise training")
        let (data, spec, dropUnusedHeads) = try TaskSetTraining.inputs(config, study: "pairwise training")
        let units = try [config.training, short].map {
            try TaskSetTraining(data: data, spec: spec, training: $0, initFrom: config.initFrom, strictInit: config.strictInit,
                                root: directory.appendingPathComponent("networks"), dropUnusedHeads: dropUnusedHeads, source: config.data)
        }
        let folder = directory.appendingPathComponent("affinity")
        try RunDirectory.makeDirectory(folder)  // before any training: a bad --output is an error now, not after the networks
        var matrices: [AffinityMatrix] = []
        for method in methods.reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            guard var matrix = try train(method == "esa" ? units[1] : units[0], method: method, onEvent: onEvent, shouldStop: shouldStop, log: log) else { return nil }
            if method == "esa" { matrix.settings["fraction"] = "\(esaFraction)" }
            matrices.append(matrix)
        }
        for matrix in matrices {
            try matrix.writeJSON(to: folder.appendingPathComponent("\(matrix.method).json"))
            try AtomicWrite.write(Data(matrix.csv.utf8), to: folder.appendingPathComponent("\(matrix.method).csv"))
        }
        return matrices
    }
}
