import Foundation

/// Job scripts that train a ground truth on a scheduler: every array task runs
/// `mtk groundtruth --output DIR`, which reads its shard from the scheduler's environment and the
/// study's settings from DIR.
package enum GroundTruthScript {
    /// An `sbatch --array` script for `study` in `shards` array tasks (default: one per task set).
    package static func slurm(study: GroundTruthStudy, shards: Int?, cpusPerTask: Int, partition: String?, time: String?, executable: String) throws -> String {
        let networks = study.settings.networks.count
        let shards = shards ?? networks
        guard (1...networks).contains(shards) else {
            throw ConfigurationError("--shards must be between 1 and \(networks) (the study's task sets), got \(shards)")
        }
        for (name, value) in [("--partition", partition), ("--time", time)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) {
                throw ConfigurationError("\(name) '\(value)': expected a single word without quotes")
            }
        }
        guard !study.directory.path.contains(where: \.isWhitespace) else {
            throw ConfigurationError("--output '\(study.directory.path)': Slurm's #SBATCH lines cannot quote a path with spaces; use a directory without them")
        }
        let logs = study.directory.appendingPathComponent("slurm")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)  // Slurm does not create --output's folder
        var lines = [
            "#!/bin/bash",
            "# Written by mtk groundtruth slurm: trains the \(networks) task sets of \(study.settings.tasks.joined(separator: ", ")) as \(shards) array tasks.",
            "# Submit: sbatch THIS_FILE   When every task is done: \(quote(executable)) groundtruth merge \(quote(study.directory.path))",
            "#SBATCH --job-name=mtk-groundtruth",
            "#SBATCH --array=0-\(shards - 1)",
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --output=\(logs.path)/shard-%a.out",
        ]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time { lines.append("#SBATCH --time=\(time)") }
        lines += [
            "set -euo pipefail",
            "# The shard comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; the settings from the directory.",
            "exec \(quote(executable)) groundtruth --output \(quote(study.directory.path))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` in single quotes for a POSIX shell.
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
