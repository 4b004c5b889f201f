import ArgumentParser
import Foundation
import Tensors

/// `mtk`: the MultiTaskKit command line. Each subcommand lives in its own file and only parses
/// arguments and calls the library.
@main
struct MTK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtk",
        abstract: "MultiTaskKit: which tasks should be learned together?",
        version: "0.1.0",
        subcommands: [Run.self, Runs.self, Train.self, Affinity.self, GroundTruthCommand.self, Pairwise.self, Group.self, EvaluateGroupings.self, Finetune.self, TaskVectorsCommand.self, FisherCommand.self, Merge.self, Prune.self, Masks.self, Eval.self, Model.self, Inspect.self, Bench.self, Demo.self, Doctor.self]
    )

    /// Before anything else (and any BLAS call): if OpenBLAS fell back to generic kernels on a CPU
    /// that has better ones, run again with `OPENBLAS_CORETYPE` set; then parse and run as usual.
    static func main() {
        BLASCore.ensureFastKernels()
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do { try command.run() } catch let error as ValidationError {
            // A bad option found while running: its message alone (a usage line here would be
            // the root command's, not the subcommand's; parse errors keep theirs).
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            exit(withError: ExitCode.validationFailure)
        } catch { exit(withError: error) }
    }
}

/// Prints a log line and flushes, so that it reaches a file or pipe (a scheduler's job log) at
/// once, in order with the progress on stderr.
func logLine(_ line: String) {
    print(line)
    fflush(nil)
}
