import Foundation
import Testing

/// `mtk groundtruth`, `mtk pairwise` and `mtk evaluate-groupings` as a user (or a scheduler)
/// runs them: every way of sharding gives the one-process ground truth bit for bit, kills at
/// random points lose nothing, cached networks are never trained twice, bad input is refused
/// before any training.
@Suite("mtk groundtruth")
struct GroundTruthCommandTests {
    static let settings = ["--batch-size", "16", "--epochs", "2", "--seed", "3", "--threads", "1"]

    func study(_ fixture: TabularFixture, _ dir: String, _ extra: [String] = []) -> [String] {
        ["groundtruth", "--csv", fixture.csv.path, "--model", fixture.spec.path, "-o", fixture.folder.appendingPathComponent(dir).path] + Self.settings + extra
    }

    func file(_ fixture: TabularFixture, _ path: String) throws -> Data {
        try Data(contentsOf: fixture.folder.appendingPathComponent(path))
    }

    /// One process; three --shard processes then merge; a Slurm array's and a Kubernetes indexed
    /// job's environments; the script `mtk groundtruth slurm` writes, run once per array task:
    /// every merged groundtruth.json (and table) is byte-identical.
    @Test func everyShardingEqualsOneProcess() throws {
        let fixture = try TabularFixture(rows: 240, thirdTask: true)
        defer { fixture.remove() }
        let one = try MTK.run(study(fixture, "one"), in: fixture.folder)
        #expect(one.status == 0, "\(one.output)")
        #expect(one.output.contains("7 trained, 0 done before; 7 of 7 task sets"), "\(one.output)")
        let reference = try file(fixture, "one/groundtruth.json")
        let truth = try JSONSerialization.jsonObject(with: reference) as! [String: Any]
        #expect((truth["networks"] as! [[String: Any]]).map { $0["tasks"] as! [String] }
                == [["y"], ["c"], ["z"], ["y", "c"], ["y", "z"], ["c", "z"], ["y", "c", "z"]])

        for i in 0..<3 {
            let shard = try MTK.run(study(fixture, "sharded", ["--shard", "\(i)/3"]), in: fixture.folder)
            #expect(shard.status == 0, "\(shard.output)")
        }
        let merged = try MTK.run(["groundtruth", "merge", fixture.folder.appendingPathComponent("sharded").path], in: fixture.folder)
        #expect(merged.status == 0, "\(merged.output)")
        #expect(try file(fixture, "sharded/groundtruth.json") == reference)
        #expect(try file(fixture, "sharded/groundtruth-test.csv") == (try file(fixture, "one/groundtruth-test.csv")))

        // Array ids 4-5 (SLURM_ARRAY_TASK_MIN 4), then a Kubernetes indexed job of 2; the shards
        // after the first need only --output: the settings come from the directory.
        let slurmDir = fixture.folder.appendingPathComponent("slurm-env").path
        for id in [4, 5] {
            let log = fixture.folder.appendingPathComponent("slurm-\(id).log")
            let arguments = id == 4 ? study(fixture, "slurm-env") : ["groundtruth", "-o", slurmDir]
            let process = try MTK.start(arguments, log: log, environment: ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "4"])
            process.waitUntilExit()
            let outcome = MTK.outcome(process, log: log)
            #expect(outcome.status == 0 && outcome.output.contains("of shard \(id - 4)/2"), "\(outcome.output)")
        }
        for index in 0..<2 {
            let log = fixture.folder.appendingPathComponent("k8s-\(index).log")
            let process = try MTK.start(study(fixture, "k8s", ["--shards", "2"]), log: log, environment: ["JOB_COMPLETION_INDEX": "\(index)"])
            process.waitUntilExit()
            #expect(MTK.outcome(process, log: log).status == 0)
        }
        for dir in ["slurm-env", "k8s"] {
            #expect(try MTK.run(["groundtruth", "merge", fixture.folder.appendingPathComponent(dir).path], in: fixture.folder).status == 0)
            #expect(try file(fixture, "\(dir)/groundtruth.json") == reference, "\(dir)")
        }

        // The generated sbatch script, run as Slurm would run each array task.
        let script = try MTK.run(study(fixture, "script", ["--shards", "3"]).replacingFirst("groundtruth", with: ["groundtruth", "slurm"]), in: fixture.folder)
        #expect(script.status == 0, "\(script.output)")
        #expect(script.output.contains("#SBATCH --array=0-2") && script.output.contains("#SBATCH --cpus-per-task=1"), "\(script.output)")
        let job = fixture.folder.appendingPathComponent("job.sh")
        try script.output.write(to: job, atomically: true, encoding: .utf8)
        for id in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [job.path]
            process.environment = ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_COUNT": "3", "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "array task \(id)")
        }
        #expect(try MTK.run(["groundtruth", "merge", fixture.folder.appendingPathComponent("script").path], in: fixture.folder).status == 0)
        #expect(try file(fixture, "script/groundtruth.json") == reference)
    }

    /// SIGKILL at seeded points (by progress lines), then the same command again until it ends:
    /// the ground truth equals an uninterrupted one, and no temporary file is left.
    @Test func killedAtRandomPointsContinuesExactly() throws {
        let fixture = try TabularFixture(rows: 600, thirdTask: true)
        defer { fixture.remove() }
        #expect(try MTK.run(study(fixture, "straight"), in: fixture.folder).status == 0)
        // About 24 progress lines per network (10 per epoch, epoch ends, its network lines; not
        // the lines of networks done before): a kill lands anywhere in the next few networks.
        let (kills, finished) = try KillLoop(seed: 777, lines: 60, extraMilliseconds: 20, maxRuns: 60).run(
            log: fixture.folder.appendingPathComponent("kill.log"),
            counts: { ($0.hasPrefix("epoch ") || $0.hasPrefix("network ")) && !$0.hasSuffix(" s)") },
            arguments: { study(fixture, "killed") })
        #expect(finished && kills >= 3, "finished \(finished) after \(kills) kills")
        #expect(try file(fixture, "killed/groundtruth.json") == (try file(fixture, "straight/groundtruth.json")))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: fixture.folder.appendingPathComponent("killed").path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Pairwise training into a ground truth's directory trains nothing (its networks are the
    /// same units) and its matrix holds the ground truth's losses, row = partner, column =
    /// target; ESA trains its own, shorter networks. evaluate-groupings reads both; pairwise
    /// training agrees with itself (ρ = 1).
    @Test func pairwiseReusesTheGroundTruthsNetworks() throws {
        let fixture = try TabularFixture(rows: 240, thirdTask: true)
        defer { fixture.remove() }
        let dir = fixture.folder.appendingPathComponent("gt")
        #expect(try MTK.run(study(fixture, "gt"), in: fixture.folder).status == 0)
        let pairwise = try MTK.run(["pairwise", "--csv", fixture.csv.path, "--model", fixture.spec.path, "-o", dir.path, "--method", "pairwise,esa", "--esa-fraction", "0.5"]
                                   + Self.settings, in: fixture.folder)
        #expect(pairwise.status == 0, "\(pairwise.output)")
        #expect(pairwise.output.components(separatedBy: "pairwise network").filter { $0.contains(": done before") }.count == 6, "\(pairwise.output)")
        #expect(pairwise.output.components(separatedBy: "esa network").filter { $0.contains(": training") }.count == 6, "\(pairwise.output)")
        let matrix = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("affinity/pairwise.json"))) as! [String: Any]
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("groundtruth.json"))) as! [String: Any]
        let networks = truth["networks"] as! [[String: Any]]
        func loss(_ set: [String], _ task: String) -> Double {
            let network = networks.first { ($0["tasks"] as! [String]) == set }!
            return ((network["validation"] as! [String: Any])["tasks"] as! [[String: Any]]).first { $0["task"] as! String == task }!["loss"] as! Double
        }
        let values = matrix["values"] as! [[Double]]
        #expect(matrix["lowerIsBetter"] as? Bool == true)
        // Compute is recorded in CPU seconds on both sides, so estimators' costs compare.
        let timings = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("timings.json"))) as! [String: Any]
        let total = try #require(timings["totalCPUSeconds"] as? Double), pairs = try #require(matrix["computeSeconds"] as? Double)
        #expect(total > 0 && pairs > 0 && pairs < total)
        #expect(values[0][0] == loss(["y"], "y") && values[1][0] == loss(["y", "c"], "y") && values[0][1] == loss(["y", "c"], "c"))
        #expect(values[2][1] == loss(["c", "z"], "c") && values[1][2] == loss(["c", "z"], "z"))

        // mtk group reads the matrix as losses by itself: HOA, single tasks scored by the diagonal.
        let hoa = try MTK.run(["group", "--affinity", dir.appendingPathComponent("affinity/pairwise.json").path, "--max-groups", "3"], in: fixture.folder)
        #expect(hoa.status == 0 && hoa.output.contains("lower is better"), "\(hoa.output)")
        let report = try MTK.run(["evaluate-groupings", "--groundtruth", dir.path, "--estimator", dir.appendingPathComponent("affinity/pairwise.json").path,
                                  "--estimator", "early=" + dir.appendingPathComponent("affinity/esa.json").path, "--random", "50",
                                  "-o", fixture.folder.appendingPathComponent("report.md").path], in: fixture.folder)
        #expect(report.status == 0, "\(report.output)")
        #expect(report.output.contains("| pairwise | 1.000 |") && report.output.contains("| early |"), "\(report.output)")
        #expect(report.output.contains("### At most 3 groups") && report.output.contains("| one network per task | {y} {c} {z} |"), "\(report.output)")
        #expect(FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("report.json").path))
    }

    /// Bad input is refused before any training, with a message naming what was wrong.
    @Test(arguments: [
        (["--shard", "3/3"], "shard index must be between 0 and 2"),
        (["--shard", "1-3"], "expected INDEX/COUNT"),
        (["--shards", "2"], "--shards 2 without --shard"),
        (["--overwrite"], "never replaces finished networks"),
        (["--max-steps", "3"], "every network trains to the end"),
        (["--weighting", "static:1,2,3"], "static weights are per task"),
        (["--validation-fraction", "0"], "the validation fraction is 0"),
        (["--tasks", "y"], "for 2 to 7 tasks; the data has 1"),
        (["--shards", "0"], "--shards must be between 1 and 4096, got 0"),
        (["--shard", "0/3", "--shards", "4"], "--shard 0/3 and --shards 4 disagree"),
    ])
    func badOptionsAreRefusedBeforeTraining(options: [String], message: String) throws {
        let fixture = try TabularFixture(rows: 60, thirdTask: true)
        defer { fixture.remove() }
        let outcome = try MTK.run(study(fixture, "gt", options), in: fixture.folder)
        #expect(outcome.status != 0)
        #expect(outcome.output.contains(message), "\(outcome.output)")
        #expect(!outcome.output.contains("training"), "training started: \(outcome.output)")
    }

    /// Environments a scheduler could get wrong, a second study in the same directory, a merge
    /// before the shards are done, a missing output: each a clear error.
    @Test func schedulersAndDirectoriesAreChecked() throws {
        let fixture = try TabularFixture(rows: 60, thirdTask: true)
        defer { fixture.remove() }
        for (environment, message) in [
            (["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3"], "submit the array as --array=0-2"),
            (["SLURM_ARRAY_TASK_ID": "1"], "SLURM_ARRAY_TASK_COUNT is not"),
            (["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3"], "SLURM_ARRAY_TASK_ID is 'x'"),
            (["JOB_COMPLETION_INDEX": "0"], "give the job's completions as --shards N"),
        ] {
            let log = fixture.folder.appendingPathComponent("env.log")
            let process = try MTK.start(study(fixture, "env"), log: log, environment: environment)
            process.waitUntilExit()
            let outcome = MTK.outcome(process, log: log)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(environment): \(outcome.output)")
        }
        #expect(try MTK.run(study(fixture, "gt", ["--shard", "0/3"]), in: fixture.folder).status == 0)
        let other = try MTK.run(study(fixture, "gt", ["--lr", "0.01"]), in: fixture.folder)
        #expect(other.status != 0 && other.output.contains("training.optimizer.learningRate: 0.01 given, the study has 0.001"), "\(other.output)")
        let early = try MTK.run(["groundtruth", "merge", fixture.folder.appendingPathComponent("gt").path], in: fixture.folder)
        #expect(early.status != 0 && early.output.contains("4 of 7 task sets are not trained yet (#1 c, #2 z, #4 y+z, #5 c+z)"), "\(early.output)")
        let none = try MTK.run(["groundtruth", "merge", fixture.folder.path], in: fixture.folder)
        #expect(none.status != 0 && none.output.contains("holds no ground truth"), "\(none.output)")
        let noOutput = try MTK.run(["groundtruth", "--csv", fixture.csv.path], in: fixture.folder)
        #expect(noOutput.status != 0 && noOutput.output.contains("--output DIR is needed"), "\(noOutput.output)")
        let evaluate = try MTK.run(["evaluate-groupings", "--groundtruth", fixture.folder.appendingPathComponent("gt").path], in: fixture.folder)
        #expect(evaluate.status != 0 && evaluate.output.contains("groundtruth.json does not exist"), "\(evaluate.output)")
        // A training run's directory (or a folder in it) is not a study's output.
        #expect(try MTK.run(fixture.train("run", ["--epochs", "1"]), in: fixture.folder).status == 0)
        for (command, dir, message) in [("groundtruth", "run", "ground truth: the output \(fixture.folder.path)/run is the training run directory"),
                                        ("pairwise", "run/mine", "pairwise training: the output \(fixture.folder.path)/run/mine lies inside the training run directory")] {
            let outcome = try MTK.run(study(fixture, dir).replacingFirst("groundtruth", with: [command]), in: fixture.folder)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(outcome.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("run/networks").path))
        // Options that would do nothing.
        let esa = try MTK.run(study(fixture, "pw", ["--esa-fraction", "0.5"]).replacingFirst("groundtruth", with: ["pairwise"]), in: fixture.folder)
        #expect(esa.status != 0 && esa.output.contains("--esa-fraction applies to --method esa"), "\(esa.output)")
        let eval = try MTK.run(["eval", fixture.folder.appendingPathComponent("run").path, "--train-examples", "5"], in: fixture.folder)
        #expect(eval.status != 0 && eval.output.contains("--train-examples: mtk eval scores the test set"), "\(eval.output)")
        let bare = try MTK.run(["eval", fixture.folder.appendingPathComponent("run/best.safetensors").path, "--tasks", "y"], in: fixture.folder)
        #expect(bare.status != 0 && bare.output.contains("say which data to use (--suite or --csv)"), "\(bare.output)")
    }
}

extension GroundTruthCommandTests {
    /// Data that would fail some network only when its turn came (a task with one class in the
    /// training set, no labels in the test set) and outputs that cannot be written are refused
    /// before the first network trains, and nothing is recorded: the corrected command then runs.
    @Test func everyNetworksProblemIsFoundFirst() throws {
        let fixture = try TabularFixture(rows: 120, thirdTask: true)
        defer { fixture.remove() }
        let lines = try String(contentsOf: fixture.csv, encoding: .utf8).split(separator: "\n").map(String.init)
        let single = fixture.folder.appendingPathComponent("single.csv"), unlabelled = fixture.folder.appendingPathComponent("test-unlabelled.csv")
        // c (a 3-class task) takes one class everywhere; z has no label in the test file.
        try (([lines[0]] + lines.dropFirst().map { row in var cells = row.split(separator: ",", omittingEmptySubsequences: false); cells[5] = "0"; return cells.joined(separator: ",") })
            .joined(separator: "\n") + "\n").write(to: single, atomically: true, encoding: .utf8)
        try (([lines[0]] + lines.dropFirst().prefix(40).map { row in var cells = row.split(separator: ",", omittingEmptySubsequences: false); cells[6] = ""; return cells.joined(separator: ",") })
            .joined(separator: "\n") + "\n").write(to: unlabelled, atomically: true, encoding: .utf8)
        let file = fixture.folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for (arguments, message) in [
            (["groundtruth", "--csv", single.path, "-o", fixture.folder.appendingPathComponent("gt1").path], "task 'c' has a single class (0)"),
            (["groundtruth", "--csv", fixture.csv.path, "--test-csv", unlabelled.path, "-o", fixture.folder.appendingPathComponent("gt2").path], "task 'z' has no labels in the test set"),
            (["groundtruth", "--csv", fixture.csv.path, "-o", file.path], "it is a file"),
            (["pairwise", "--csv", fixture.csv.path, "-o", file.appendingPathComponent("sub").path], "it is a file"),
        ] {
            let outcome = try MTK.run(arguments + ["--model", fixture.spec.path] + Self.settings, in: fixture.folder)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(arguments): \(outcome.output)")
            #expect(!outcome.output.contains("network 1/"), "training started: \(outcome.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("gt1/groundtruth-settings.json").path))
        // A bad script request records nothing either.
        let slurm = try MTK.run(study(fixture, "gt3", ["--time", "soon"]).replacingFirst("groundtruth", with: ["groundtruth", "slurm"]), in: fixture.folder)
        #expect(slurm.status != 0 && slurm.output.contains("--time 'soon'"), "\(slurm.output)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("gt3/groundtruth-settings.json").path))
        let cpus = try MTK.run(study(fixture, "gt4", ["--cpus-per-task", "4"]).replacingFirst("groundtruth", with: ["groundtruth", "slurm"]), in: fixture.folder)
        #expect(cpus.status != 0 && cpus.output.contains("--cpus-per-task 4, but the study trains on 1 threads"), "\(cpus.output)")
    }

    /// The report never replaces an input, and a bad -o is found before the evaluation runs.
    @Test func evaluationReportsNeverReplaceInputs() throws {
        let fixture = try TabularFixture(rows: 120, thirdTask: true)
        defer { fixture.remove() }
        let dir = fixture.folder.appendingPathComponent("gt")
        #expect(try MTK.run(study(fixture, "gt"), in: fixture.folder).status == 0)
        #expect(try MTK.run(["pairwise", "--csv", fixture.csv.path, "--model", fixture.spec.path, "-o", dir.path] + Self.settings, in: fixture.folder).status == 0)
        let pairwise = dir.appendingPathComponent("affinity/pairwise.json").path
        let before = try Data(contentsOf: dir.appendingPathComponent("groundtruth.json"))
        for (output, message) in [
            (dir.appendingPathComponent("groundtruth.json").path, "the report is Markdown"),
            (dir.appendingPathComponent("groundtruth.md").path, "would replace one of the inputs"),
            (dir.appendingPathComponent("affinity/pairwise.md").path, "would replace one of the inputs"),
            (fixture.folder.appendingPathComponent("missing/report.md").path, "does not exist"),
        ] {
            let outcome = try MTK.run(["evaluate-groupings", "--groundtruth", dir.path, "--estimator", pairwise, "-o", output], in: fixture.folder)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(output): \(outcome.output)")
            #expect(!outcome.output.contains("### At most"), "the evaluation ran: \(outcome.output)")
        }
        #expect(try Data(contentsOf: dir.appendingPathComponent("groundtruth.json")) == before)
        for (name, message) in [("optimum", "is taken by a reference row"), ("a|b", "without '|'")] {
            let outcome = try MTK.run(["evaluate-groupings", "--groundtruth", dir.path, "--estimator", "\(name)=\(pairwise)"], in: fixture.folder)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(outcome.output)")
        }
    }
}

extension Array where Element == String {
    /// The array with the first `word` replaced by `words`.
    func replacingFirst(_ word: String, with words: [String]) -> [String] {
        guard let i = firstIndex(of: word) else { return self }
        return Array(self[..<i]) + words + Array(self[(i + 1)...])
    }
}
