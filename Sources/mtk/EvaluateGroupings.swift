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
    @Option(name: .shortAndLong, help: "Also write the Markdown report to FILE.md and its JSON to FILE.json.") var output: String?
    @Flag(help: "Print JSON instead of Markdown.") var json = false

    func run() throws {
        let url = URL(fileURLWithPath: groundtruth)
        let given = estimator.map { given -> (name: String?, url: URL) in
            let parts = given.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return parts.count == 2 ? (parts[0], URL(fileURLWithPath: parts[1])) : (nil, URL(fileURLWithPath: given))
        }
        let budgets = try maxGroups.map { text in
            try text.split(separator: ",", omittingEmptySubsequences: false).map { part -> Int in
                guard let k = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--max-groups: '\(part)' is not a whole number") }
                return k
            }
        }
        let truthFile = GroundTruthStudy.file(url)
        let reports = try output.map { try Self.reportFiles($0, inputs: [truthFile, truthFile.deletingLastPathComponent().appendingPathComponent("timings.json")] + given.map(\.url)) }
        let truth = try GroundTruthStudy.read(url)
        let estimators = try given.map { name, file in
            let matrix = try AffinityMatrix.readJSON(from: file)
            return (name: name ?? matrix.method, matrix: matrix)
        }
        let evaluation = try GroupingEvaluation.evaluate(truth, estimators: estimators, maxGroups: budgets ?? Array(1...truth.tasks.count), randomSamples: random,
                                                         seed: seed, groundTruthSeconds: try GroundTruthStudy.Timings.beside(url)?.totalCPUSeconds)
        let encoded = try RunJSON.encoder(pretty: true).encode(evaluation)
        if let reports {
            try AtomicWrite.write(Data(evaluation.markdown.utf8), to: reports.markdown)
            try AtomicWrite.write(encoded, to: reports.json)
        }
        if json { FileHandle.standardOutput.write(encoded + Data("\n".utf8)) } else { print(evaluation.markdown, terminator: "") }
    }

    /// The report's files, `FILE.md` and `FILE.json`, checked before any work: a Markdown name,
    /// an existing folder, and neither one of the inputs.
    static func reportFiles(_ path: String, inputs: [URL]) throws -> (markdown: URL, json: URL) {
        let markdown = URL(fileURLWithPath: path).standardizedFileURL
        guard markdown.pathExtension == "md" else { throw ValidationError("-o \(path): the report is Markdown, FILE.md (its JSON goes beside it as FILE.json)") }
        let json = markdown.deletingPathExtension().appendingPathExtension("json")
        let resolved = Set(inputs.map { $0.standardizedFileURL.resolvingSymlinksInPath().path })
        for file in [markdown, json] where resolved.contains(file.resolvingSymlinksInPath().path) {
            throw ValidationError("-o \(path): writing \(file.path) would replace one of the inputs")
        }
        var isDirectory: ObjCBool = false
        let folder = markdown.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("-o \(path): the folder \(folder.path) does not exist")
        }
        for file in [markdown, json] where FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) && isDirectory.boolValue {
            throw ValidationError("-o \(path): \(file.path) is a directory")
        }
        return (markdown, json)
    }
}
