import ArgumentParser
import Foundation
import MultiTask
import Reports

/// `mtk run STUDY.yaml`: a whole study from one config, into runs/NAME with its report.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study from one YAML config: baselines, multi-task methods, affinity, ground truth, grouping, task vectors, sweeps — and write its report.",
        discussion: "Results go to runs/NAME (or -o DIR): study.yaml, results.json, summary.md, report.html and the trained networks. Ctrl-C or SIGTERM stops at the next step of training (exit status 130); run the same command again to continue: finished steps and trained networks are reused. See README, \"Studies\".")

    @Argument(help: "The study config (YAML).") var study: String
    @Option(name: [.customShort("o"), .long], help: "The run directory [runs/NAME].") var output: String?
    @Flag(help: "Replace a study of another config in the run directory (its trained networks stay in the cache).") var overwrite = false
    @Option(help: "Read the suite's images from this folder of IDX files instead (MNIST's, say), overriding data.data_directory.") var dataDir: String?
    @Flag(help: "Check the study (config, data, model, settings) and print its steps; train nothing, create nothing.") var check = false

    func run() throws {
        if dataDir == "" { throw ValidationError("--data-dir: the path is empty") }
        let runner = try StudyRunner(file: URL(fileURLWithPath: study), output: output.map { URL(fileURLWithPath: $0) }, overwrite: overwrite,
                                     dataDirectory: dataDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, version: MTK.configuration.version,
                                     checkOnly: check)
        if check {
            print("study '\(runner.config.name)' is valid; it runs into \(runner.directory.path):")
            for (k, step) in try runner.planned().enumerated() { print("  \(k + 1). \(step.step)\(step.done ? " (done)" : "")") }
            return
        }
        let progress = TrainingOptions.progressAndSignals()
        let started = Date()
        runner.log = { line in  // the elapsed time on every line: the pace of a long study at a glance
            let seconds = Int(Date().timeIntervalSince(started))
            logLine(String(format: "study [%d:%02d] ", seconds / 60, seconds % 60) + line)
        }
        runner.onEvent = progress
        runner.shouldStop = { Interruption.requested }
        runner.onResults = { try StudyReport.write($0, to: runner.directory) }
        logLine("study '\(runner.config.name)' in \(runner.directory.path)")
        guard let results = try runner.run() else {
            logLine("stopped: the finished steps and networks are kept; continue with: mtk run \(study)" + (output.map { " -o \($0)" } ?? ""))
            throw ExitCode(130)  // stopped, not finished: scripts can tell
        }
        print("")
        print(results.closing(directory: runner.directory))
    }
}
