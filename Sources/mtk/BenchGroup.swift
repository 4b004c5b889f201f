import ArgumentParser
import Files
import Foundation
import MultiTask

/// `mtk bench group`: network selection on seeded random instances, one JSON object per run.
struct BenchGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Time network selection on a seeded random instance; JSON lines on stdout.")

    @Option(parsing: .unconditional, help: "Tasks.") var tasks = 25
    @Option(parsing: .unconditional, help: "Candidate groups.") var candidates = 3000
    @Option(help: "Smallest and largest group size, e.g. 4-12.") var sizes = "4-12"
    @Option(parsing: .unconditional, help: "At most this many groups.") var maxGroups = 3
    @Option(parsing: .upToNextOption, help: "Seeds: one run each.") var seeds: [UInt64] = [0]
    @Option(help: "Also write each instance as a CSV table (mtk group --table) to this folder, as seed-N.csv.") var writeTables: String?

    func validate() throws {
        guard (1...64).contains(tasks) else { throw ValidationError("--tasks: expected 1 to 64 tasks, got \(tasks)") }
        guard (1...1_000_000).contains(candidates) else { throw ValidationError("--candidates: expected 1 to 1,000,000 candidate groups, got \(candidates)") }
        guard maxGroups >= 1 else { throw ValidationError("--max-groups: expected at least 1, got \(maxGroups)") }
        guard !seeds.isEmpty else { throw ValidationError("--seeds: expected at least one seed") }
    }

    func run() throws {
        let bounds = sizes.split(separator: "-").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { throw ValidationError("--sizes must read LOW-HIGH, e.g. 2-8; got '\(sizes)'") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for seed in seeds {
            let problem = try SelectionBenchmark.instance(tasks: tasks, candidates: candidates, sizes: bounds[0]...bounds[1], maxGroups: maxGroups, seed: seed)
            if let folder = writeTables {
                try AtomicWrite.write(Data(SelectionBenchmark.csv(problem).utf8), to: URL(fileURLWithPath: folder).appendingPathComponent("seed-\(seed).csv"))
            }
            let record = try SelectionBenchmark.run(problem, seed: seed)
            FileHandle.standardOutput.write(try encoder.encode(record) + Data("\n".utf8))
        }
    }
}
