import ArgumentParser
import Files
import Foundation
import MultiTask

/// `mtk evaluate-groupings`: how good is each estimator's grouping, measured on the ground truth.
struct EvaluateGroupings: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-groupings",
        abstract: "Score grouping estimators (affinity or pairwise-loss matrices) against a ground truth, per budget.",
        discussion: "For each budget: the true test loss and Δm% of the groups each estimator picks, against the optimum, random groupings, all tasks in one network and one network per task; then each estimator's rank correlation with pairwise training and its compute as a fraction of the ground truth's.")

    @Option(help: "The ground truth: mtk groundtruth's --output directory (or its groundtruth.json).") var groundtruth: String
    @Option(help: "An estimator's matrix, FILE or NAME=FILE (mtk affinity's or mtk pairwise's JSON); repeat for each.") var estimator: [String] = []
    @Option(help: "Budgets in groups, comma-separated [1 to the number of tasks].") var maxGroups: String?
    @Option(parsing: .unconditional, help: "Random groupings per budget [1000].") var random = 1000
    @Option(parsing: .unconditional, help: "Seed of the random groupings [0].") var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "Also write the Markdown report (and FILE.json beside it) here.") var output: String?
    @Flag(help: "Print JSON instead of Markdown.") var json = false

    func run() throws {
        let url = URL(fileURLWithPath: groundtruth)
        let truth = try GroundTruthStudy.read(url)
        let folder = url.pathExtension == "json" ? url.deletingLastPathComponent() : url
        let timings = folder.appendingPathComponent("timings.json")
        let seconds = FileManager.default.fileExists(atPath: timings.path) ? try RunDirectory.readJSON(GroundTruthStudy.Timings.self, from: timings).total : nil
        let estimators = try estimator.map { given -> (name: String, matrix: AffinityMatrix) in
            let parts = given.split(separator: "=", maxSplits: 1).map(String.init)
            let path = parts.count == 2 ? parts[1] : given
            let matrix = try AffinityMatrix.readJSON(from: URL(fileURLWithPath: path))
            return (parts.count == 2 ? parts[0] : matrix.method, matrix)
        }
        let budgets = try maxGroups.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let k = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--max-groups: '\(part)' is not a whole number") }
                return k
            }
        } ?? Array(1...truth.tasks.count)
        let evaluation = try GroupingEvaluation.evaluate(truth, estimators: estimators, maxGroups: budgets, randomSamples: random, seed: seed, groundTruthSeconds: seconds)
        let encoded = try RunJSON.encoder(pretty: true).encode(evaluation)
        if json { FileHandle.standardOutput.write(encoded + Data("\n".utf8)) } else { print(evaluation.markdown, terminator: "") }
        if let output {
            let file = URL(fileURLWithPath: output)
            try AtomicWrite.write(Data(evaluation.markdown.utf8), to: file)
            try AtomicWrite.write(encoded, to: file.deletingPathExtension().appendingPathExtension("json"))
        }
    }
}
