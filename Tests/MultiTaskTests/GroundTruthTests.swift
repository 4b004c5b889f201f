import Foundation
@testable import MultiTask
import Tensors
import Testing
import TestSupport

/// The ground truth's tables, shards and the evaluation of estimators against it, on a hand-made
/// ground truth whose answers are worked out in the comments.
@Suite("Ground truth and grouping evaluation")
struct GroundTruthTests {
    /// Three tasks; test losses are twice the validation ones, so that scoring on test shows.
    /// k = 1: only {a, b, c} serves all, mean validation (0.9 + 1.0 + 1.05) / 3.
    /// k = 2: {a, b} + {b, c} serves a 0.8, b 0.9, c 0.95 (mean 0.8833), better than
    /// {a, b} + {c} (0.9) or {a, b} + {a, b, c} (0.9167).
    static let truth: GroundTruth = {
        let losses: [[String]: [Double]] = [
            ["a"]: [1.0], ["b"]: [1.0], ["c"]: [1.0], ["a", "b"]: [0.8, 0.9], ["a", "c"]: [1.2, 1.1], ["b", "c"]: [1.1, 0.95], ["a", "b", "c"]: [0.9, 1.0, 1.05],
        ]
        let tasks = ["a", "b", "c"]
        let networks = GroundTruth.taskSets(count: 3).map { set -> TaskSetResult in
            let names = set.map { tasks[$0] }
            func evaluation(_ scale: Double) -> Evaluation {
                Evaluation(tasks: zip(names, losses[names]!).map { TaskEvaluation(task: $0, loss: $1 * scale, metrics: [Metric(name: "error", value: $1 * scale, higherIsBetter: false)]) })
            }
            return TaskSetResult(tasks: names, validation: evaluation(1), test: evaluation(2), bestEpoch: 1, epochs: 1, steps: 1)
        }
        return GroundTruth(tasks: tasks, settingsKey: "k", networks: networks)
    }()

    @Test func taskSetsComeInStandleysOrder() {
        #expect(GroundTruth.taskSets(count: 3) == [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]])
        for n in 1...7 { #expect(GroundTruth.taskSets(count: n).count == (1 << n) - 1) }
    }

    /// The CSV and Standley tables read back (by `mtk group`'s readers) as the same candidates.
    @Test func tablesReadBackAsTheCandidates() throws {
        let folder = try TemporaryDirectory()
        let csv = folder.file("t.csv"), standley = folder.file("s.txt")
        try Self.truth.csv(.test).write(to: csv, atomically: true, encoding: .utf8)
        try Self.truth.standley(.validation).write(to: standley, atomically: true, encoding: .utf8)
        let fromCSV = try CandidateTables.csv(csv)
        #expect(fromCSV.tasks == ["a", "b", "c"] && fromCSV.candidates == Self.truth.candidates(.test))
        let fromStandley = try CandidateTables.standley(standley, tasks: ["a", "b", "c"])
        #expect(Array(fromStandley.candidates.dropFirst(3)) == Self.truth.candidates(.validation))
        #expect(fromStandley.candidates.prefix(3).map(\.scores) == [[1.0], [1.0], [1.0]])
    }

    @Test func shardsFromOptionsAndSchedulers() throws {
        func shard(_ option: String? = nil, _ count: Int? = nil, _ environment: [String: String] = [:]) throws -> Shard? {
            try Shard.resolve(option: option, count: count, environment: environment).shard
        }
        #expect(try shard("2/5") == Shard(index: 2, count: 5))
        for bad in ["5/5", "-1/5", "1/0", "1", "a/b", "0/5000"] { #expect(throws: ConfigurationError.self, "\(bad)") { try shard(bad) } }
        #expect(try shard(nil, nil, ["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "10"]) == Shard(index: 2, count: 4))
        #expect(try shard(nil, 4, ["JOB_COMPLETION_INDEX": "3"]) == Shard(index: 3, count: 4))
        #expect(try shard() == nil && shard(nil, 1) == nil)
        // An explicit shard wins over a scheduler's, and says so.
        let given = try Shard.resolve(option: "0/2", count: nil, environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"])
        #expect(given.shard == (try Shard(index: 0, count: 2)) && given.note?.contains("Slurm") == true)
        for (option, count, environment, message) in [
            (nil, 3, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"], "disagrees with the Slurm array's 4 tasks"),
            ("0/3", 4, [:], "--shard 0/3 and --shards 4 disagree"),
            (nil, 0, [:], "--shards must be between 1 and 4096, got 0"),
            (nil, -1, [:], "--shards must be between 1 and 4096, got -1"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "5000"], "SLURM_ARRAY_TASK_COUNT is 5000"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "0"], "SLURM_ARRAY_TASK_COUNT is 0"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3"], "submit the array as --array=0-2"),
            (nil, nil, ["SLURM_ARRAY_TASK_COUNT": "3"], "SLURM_ARRAY_TASK_ID is not"),
            (nil, 2, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2", "JOB_COMPLETION_INDEX": "0"], "both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX"),
            (nil, 2, ["JOB_COMPLETION_INDEX": "2"], "JOB_COMPLETION_INDEX 2 is not one of 0...1"),
        ] as [(String?, Int?, [String: String], String)] {
            let error = #expect(throws: ConfigurationError.self) { try Shard.resolve(option: option, count: count, environment: environment) }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
        // Every set is owned by exactly one shard.
        let shards = try (0..<3).map { try Shard(index: $0, count: 3) }
        for position in 0..<127 { #expect(shards.filter { $0.owns(position) }.count == 1) }
    }

    /// What goes into #SBATCH lines is checked: they cannot quote.
    @Test func slurmRequestsAreChecked() throws {
        for time in ["30", "30:00", "02:00:00", "1-0", "1-12:30", "2-00:00:00", "UNLIMITED", "infinite"] { #expect(GroundTruthScript.isSlurmTime(time), "\(time)") }
        for time in ["", "bogus", "1:00:00;id", "-1", "1-", "1:2:3:4", "1--2", "１"] { #expect(!GroundTruthScript.isSlurmTime(time), "\(time)") }
        func request(_ path: String = "/data/gt", partition: String? = nil, time: String? = nil, executable: String = "/bin/mtk", cpus: Int = 1) -> GroundTruthScript.SlurmRequest {
            .init(directory: URL(fileURLWithPath: path), shards: 2, cpusPerTask: cpus, partition: partition, time: time, executable: executable)
        }
        #expect(throws: Never.self) { try request("/data/run%1", partition: "gpu,cpu", time: "1:00:00").check() }
        for bad in [request("/data/sp ace"), request("/data/q\"uote"), request("/data/new\nline"), request(partition: "bad part"), request(partition: ""),
                    request(time: "soon"), request(executable: "/bin/mtk\ntouch x"), request(cpus: 0)] {
            #expect(throws: ConfigurationError.self) { try bad.check() }
        }
    }

    /// SciPy's `spearmanr` on the same numbers (ties averaged); constant input has no ρ.
    @Test func spearmanMatchesSciPy() {
        #expect(Swift.abs(RankCorrelation.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12)
        #expect(Swift.abs(RankCorrelation.spearman([0.3, -0.1, 0.2, 0.2, 0.9, -0.5], [1, 2, 2, 3, 0, -1]) - 0.014705882352941178) < 1e-12)
        #expect(RankCorrelation.spearman([1, 1, 1], [1, 2, 3]).isNaN)
        // Two points (two tasks: one pair each way) can only agree or disagree: ±1 would read as a measurement.
        #expect(RankCorrelation.spearman([0.1, 0.4], [2, 1]).isNaN && RankCorrelation.spearman([1, 2, 3], [1, 3, 2]) == 0.5)
    }

    @Test func randomPartitionsHaveExactlyKNonEmptyGroups() {
        var generator = RandomGenerator(seed: 9)
        let tasks = ["a", "b", "c", "d", "e"]
        var seen = Set<[[String]]>()
        for k in 1...5 {
            for _ in 0..<200 {
                let groups = GroupingEvaluation.randomPartition(tasks, groups: k, using: &generator)
                #expect(groups.count == k && groups.allSatisfy { !$0.isEmpty } && groups.flatMap { $0 }.sorted() == tasks)
                if k == 2 { seen.insert(groups) }
            }
        }
        #expect(seen.count == 15)  // every partition of 5 tasks into 2 groups turns up
    }

    /// The optimum, an estimator that finds it, pairwise training itself, and the baselines, at
    /// each budget, with the numbers worked out above.
    @Test func estimatorsAreScoredAgainstTheOptimum() throws {
        // Affinities: a and b help each other, b and c a little, a and c hurt. With single-task
        // groups not allowed, k = 2 picks {a, b} + {b, c} (members 1, 1, 0.5): the optimum.
        let affinity = AffinityMatrix(tasks: ["a", "b", "c"], values: [[0, 1, -1], [1, 0, 0.5], [-1, 0.5, 0]], method: "tag", computeSeconds: 10)
        let pairwise = try AffinityMatrix(tasks: ["a", "b", "c"], values: (0..<3).map { b in
            try (0..<3).map { a in
                let names = Array(Set([["a", "b", "c"][a], ["a", "b", "c"][b]]))
                return try #require(Self.truth.network(names)?.validation[["a", "b", "c"][a]]?.loss)
            }
        }, method: "pairwise", lowerIsBetter: true)
        let evaluation = try GroupingEvaluation.evaluate(Self.truth, estimators: [("tag", affinity), ("pairwise", pairwise)], maxGroups: [1, 2],
                                                         randomSamples: 100, seed: 1, groundTruthSeconds: 100)
        let one = evaluation.budgets[0].rows, two = evaluation.budgets[1].rows
        #expect(one[0].name == "optimum" && one[0].groups == [["a", "b", "c"]] && Swift.abs(one[0].testLoss - 2 * (0.9 + 1.0 + 1.05) / 3) < 1e-12)
        #expect(two[0].groups == [["a", "b"], ["b", "c"]] && Swift.abs(two[0].testLoss - 2 * 0.8833333333333333) < 1e-12)
        #expect(two[1].name == "tag" && two[1].groups == two[0].groups && two[1].gapPercent == 0)
        #expect(two.first { $0.name == "all tasks in one network" }!.groups == [["a", "b", "c"]])
        let single = two.first { $0.name == "one network per task" }!
        #expect(single.deltaM == 0 && Swift.abs(single.testLoss - 2) < 1e-12 && Swift.abs(single.gapPercent - (2 - 1.7666666666666666) / 1.7666666666666666 * 100) < 1e-9)
        // Δm% of the optimum: a 0.8 vs 1 (+20%), b 0.9 (+10%), c 0.95 (+5%), on "error" (lower is better).
        #expect(Swift.abs(two[0].deltaM - 35.0 / 3) < 1e-9)
        let worst = two.first { $0.name.hasPrefix("random (worst") }!, mean = two.first { $0.name.hasPrefix("random (mean") }!
        #expect(worst.testLoss >= mean.testLoss && mean.testLoss >= two[0].testLoss)
        // The estimators' summaries: TAG's ρ is SciPy's on these six pairs; pairwise agrees with itself.
        let tag = evaluation.estimators[0], pair = evaluation.estimators[1]
        #expect(Swift.abs(tag.rankCorrelation - 0.9095085938862487) < 1e-12)
        #expect(tag.computeFraction == 0.1 && pair.computeFraction == nil)
        #expect(Swift.abs(pair.rankCorrelation - 1) < 1e-12)
        let markdown = evaluation.markdown
        #expect(markdown.contains("| tag | {a, b} {b, c} | 1.7667 | +0.00% | +11.67 |"), "\(markdown)")
        // The same seed gives the same random rows; another seed need not.
        let again = try GroupingEvaluation.evaluate(Self.truth, estimators: [], maxGroups: [2], randomSamples: 100, seed: 1)
        #expect(again.budgets[0].rows.filter { $0.name.hasPrefix("random") } == two.filter { $0.name.hasPrefix("random") })
    }

    @Test func badEstimatorsAndBudgetsAreRefused() {
        let wrong = AffinityMatrix(tasks: ["a", "b", "x"], values: [[0, 1, 1], [1, 0, 1], [1, 1, 0]], method: "tag")
        #expect(throws: ConfigurationError.self) { try GroupingEvaluation.evaluate(Self.truth, estimators: [("tag", wrong)], maxGroups: [1]) }
        let nan = AffinityMatrix(tasks: ["a", "b", "c"], values: [[0, .nan, 1], [1, 0, 1], [1, 1, 0]], method: "tag")
        #expect(throws: ConfigurationError.self) { try GroupingEvaluation.evaluate(Self.truth, estimators: [("tag", nan)], maxGroups: [1]) }
        #expect(throws: ConfigurationError.self) { try GroupingEvaluation.evaluate(Self.truth, estimators: [], maxGroups: [0]) }
        #expect(throws: ConfigurationError.self) { try GroupingEvaluation.evaluate(Self.truth, estimators: [], maxGroups: [4]) }
    }
}

/// Studies and shards that share a cache share its networks: a network another process is
/// training is waited for (with a note), not refused; a stop request ends the wait.
@Suite("Networks of task sets")
struct TaskSetTrainingTests {
    @Test func aNetworkInTrainingElsewhereIsWaitedFor() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let units = try TaskSetTraining(data: try smallData(seed: 3, examples: 64), spec: smallSpec, training: smallConfig(epochs: 1), root: root, dropUnusedHeads: true)
        let set = [units.data.taskNames[0]]
        let directory = try units.directory(for: set)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Another process holds the network's lock (flock(1), which writes no PID; not forking, so that stopping it frees the lock).
        func holdLock(seconds: String) throws -> Process {
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            holder.arguments = ["--no-fork", "-x", directory.appendingPathComponent("lock").path, "sleep", seconds]
            try holder.run()
            while (try? RunLock(directory: directory)) != nil { usleep(10_000) }  // until it holds the lock
            return holder
        }
        let stopping = try holdLock(seconds: "30")
        let stopAt = Date().addingTimeInterval(0.5)
        var notes: [String] = []
        #expect(try units.train(set, onEvent: { if case .note(let text) = $0 { notes.append(text) } }, shouldStop: { Date() > stopAt }) == nil)
        kill(stopping.processIdentifier, SIGKILL)
        stopping.waitUntilExit()
        #expect(notes == ["\(directory.path) is being trained by another process: waiting for it to finish"])
        let holder = try holdLock(seconds: "1")
        let record = try units.train(set)
        holder.waitUntilExit()
        let cached = try units.cached(set)
        #expect(record?.result.tasks == set && cached == record)
    }
}
