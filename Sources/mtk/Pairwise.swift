import ArgumentParser
import Foundation
import MultiTask

/// `mtk pairwise`: Standley et al.'s pairwise training (every task alone and every pair) and its
/// early-stopping approximation, as affinity matrices of validation losses.
struct Pairwise: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every task alone and every pair; write the matrices of validation losses (pairwise, and esa from shorter runs).",
        discussion: "Takes mtk train's options. Writes DIR/affinity/METHOD.json and .csv: row = source (the partner), column = target, value = the target's validation loss (diagonal: alone; lower is better). 'mtk group --affinity DIR/affinity/pairwise.json' then selects by Standley's higher-order approximation. Each network is cached in DIR/networks: rerun the same command to continue a stopped run; a ground truth with the same settings and --output shares them.")

    @OptionGroup var options: TrainingOptions
    @Option(help: "Comma-separated: pairwise (full training), esa (a fraction of the epochs).") var method = "pairwise"
    @Option(parsing: .unconditional, help: "ESA: the fraction of the epochs each network trains, in (0, 1] [0.2].") var esaFraction: Double?

    func run() throws {
        guard let output = options.output else { throw ValidationError("--output DIR is needed: the networks and matrices go there") }
        if options.overwrite { throw ValidationError("--overwrite: finished networks are never replaced; use another --output") }
        if options.maxSteps != nil { throw ValidationError("--max-steps: every network trains to the end; stop with Ctrl-C and rerun to continue") }
        let methods = method.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if esaFraction != nil && !methods.contains("esa") { throw ValidationError("--esa-fraction applies to --method esa, which is not chosen") }
        let esaFraction = self.esaFraction ?? 0.2
        guard let matrices = try PairwiseTraining.study(options.apply(to: RunConfig()), methods: methods, esaFraction: esaFraction, directory: URL(fileURLWithPath: output),
                                                        onEvent: TrainingOptions.progressAndSignals(), shouldStop: { Interruption.requested }, log: logLine) else {
            print("stopped: finished networks are kept; run the same command again to continue")
            throw ExitCode(Interruption.exitStatus)
        }
        for matrix in matrices {
            print(matrix.table(colour: isatty(1) != 0))
            print(matrix.computeSeconds.map { String(format: "%.1f CPU seconds of training\n", $0) } ?? "")
        }
    }
}
