import ArgumentParser

/// `mtk bench ...`: benchmarks that print one JSON object per line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks (one JSON object per line).", subcommands: [BenchEngine.self, BenchTrain.self, BenchGroup.self])
}
