import Foundation

/// Job scripts that train a ground truth on a scheduler: every array task runs
/// `mtk groundtruth --output DIR`, which reads its shard from the scheduler's environment and the
/// study's settings from DIR.
package enum GroundTruthScript {
    /// What the sbatch script asks Slurm for, checked (by `check`) before the study's settings
    /// are recorded.
    package struct SlurmRequest: Sendable {
        package var directory: URL
        package var shards: Int?
        package var cpusPerTask: Int
        package var partition: String?
        package var time: String?
        package var executable: String

        package init(directory: URL, shards: Int?, cpusPerTask: Int, partition: String?, time: String?, executable: String) {
            (self.directory, self.shards, self.cpusPerTask, self.partition, self.time, self.executable) = (directory, shards, cpusPerTask, partition, time, executable)
        }

        /// Everything that goes into an `#SBATCH` line or the script, before any work: `#SBATCH`
        /// lines cannot quote, so the directory, partition and time must be plain words.
        package func check() throws {
            let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+@:,=~%-")
            guard directory.path.unicodeScalars.allSatisfy(safe.contains) else {
                throw ConfigurationError("--output '\(directory.path)': Slurm's #SBATCH lines cannot quote, so the directory may hold only letters, digits and . _ / + @ : , = ~ % -")
            }
            guard !executable.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }), !executable.isEmpty else {
                throw ConfigurationError("--mtk: the executable's path must not be empty or hold control characters (a newline, say)")
            }
            guard (1...1024).contains(cpusPerTask) else { throw ConfigurationError("--cpus-per-task must be between 1 and 1024, got \(cpusPerTask)") }
            if let shards, !(1...4096).contains(shards) { throw ConfigurationError("--shards must be between 1 and 4096, got \(shards)") }
            if let partition, partition.isEmpty || !partition.unicodeScalars.allSatisfy(CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._,-").contains) {
                throw ConfigurationError("--partition '\(partition)': expected a partition name (letters, digits, . _ -; several separated by commas)")
            }
            if let time, !GroundTruthScript.isSlurmTime(time) {
                throw ConfigurationError("--time '\(time)': expected Slurm's MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, DAYS-HOURS[:MINUTES[:SECONDS]] or UNLIMITED")
            }
        }
    }

    /// Whether `text` is one of Slurm's time-limit forms.
    static func isSlurmTime(_ text: String) -> Bool {
        if ["UNLIMITED", "INFINITE"].contains(text.uppercased()) { return true }
        let dayParts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2, dayParts.allSatisfy({ !$0.isEmpty }) else { return false }
        let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = (dayParts.count == 2 ? [dayParts[0]] : []) + clock
        guard numbers.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return false }
        return (1...3).contains(clock.count)
    }

    /// An `sbatch --array` script for `study` (`request.check()` first).
    package static func slurm(study: GroundTruthStudy, request: SlurmRequest) throws -> String {
        try request.check()
        let networks = study.settings.networks.count
        let shards = request.shards ?? networks
        guard (1...networks).contains(shards) else {
            throw ConfigurationError("--shards must be between 1 and \(networks) (the study's task sets), got \(shards)")
        }
        let logs = study.directory.appendingPathComponent("slurm")
        try RunDirectory.makeDirectory(logs)  // Slurm does not create --output's folder
        var lines = [
            "#!/bin/bash",
            "#SBATCH --job-name=mtk-groundtruth",
            "#SBATCH --array=0-\(shards - 1)",
            "#SBATCH --cpus-per-task=\(request.cpusPerTask)",
            "#SBATCH --output=\(logs.path.replacingOccurrences(of: "%", with: "%%"))/shard-%a.out",  // %% is a literal % in Slurm's file patterns
        ]
        if let partition = request.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time = request.time { lines.append("#SBATCH --time=\(time)") }
        lines += [
            "# Written by mtk groundtruth slurm: trains the \(networks) task sets of \(study.settings.tasks.joined(separator: ", ")) as \(shards) array tasks.",
            "# Submit: sbatch THIS_FILE; when every task is done: mtk groundtruth merge DIR (below).",
            "# The shard comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; the settings from the directory.",
            "set -euo pipefail",
            "exec \(quote(request.executable)) groundtruth --output \(quote(study.directory.path))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` in single quotes for a POSIX shell.
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
