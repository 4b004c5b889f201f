import Foundation
@testable import MultiTask
import Testing
import TestSupport

/// Studies from one config: every bad config refused with its file, line and key before any
/// work; a whole study run, resumed after a stop at any point bit-identically, never training a
/// network twice; configs that changed refused.
@Suite("Studies")
struct StudyTests {
    /// A folder with a tabular spec for the synthetic suite's 32 features.
    struct Fixture {
        let folder: URL
        init() throws {
            folder = temporaryDirectory()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "name: tab\ninput: [32]\ntrunk: [{linear: {out: 8}}, tanh]\nheads: {}\n".write(to: folder.appendingPathComponent("tab.yaml"), atomically: true, encoding: .utf8)
        }
        func write(_ yaml: String, _ name: String = "study.yaml") throws -> URL {
            let url = folder.appendingPathComponent(name)
            try yaml.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    static let study = """
        name: small
        data:
          suite: synthetic
          tasks: [task0, task1, task5]
          train_examples: 200
        model: tab.yaml
        training: {epochs: 2, batch_size: 32, optimizer: sgd, lr: 0.05, momentum: 0.9, seed: 3, threads: 1}
        steps:
          baselines: true
          multitask: [equal, pcgrad]
          ground_truth: true
          affinity: {estimators: [tag, cosine, pairwise, snip-iou], every: 2, mask_batches: 2}
          task_vectors: {alphas: [0, 0.5, 1], merges: [ties, dare_ties], density: 0.5}
          grouping: {budgets: [1, 2], random_samples: 50}
          pruning: {methods: [snip, disparse-pt], sparsity: [0.5], batches: 2}
        sweep:
          search: grid
          parameters:
            lr: [0.05, 0.1]
            loss_weights: [[1, 1, 1], [1, 0.5, 0.5]]
        """

    @Test func badConfigsNameFileLineAndKey() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let good = Self.study
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "  baselines: true", with: "  baseline: true"), "study.yaml:9: steps.baseline: unknown key"),
            (good.replacingOccurrences(of: "epochs: 2,", with: "epochs: two,"), "study.yaml:7: training.epochs: expected an integer from 1 to 100000, found 'two'"),
            (good.replacingOccurrences(of: "[tag, cosine, pairwise, snip-iou]", with: "[tag, tagg]"), "study.yaml:12: steps.affinity.estimators[1]: unknown estimator 'tagg'"),
            (good.replacingOccurrences(of: "[tag, cosine, pairwise, snip-iou]", with: "[tag, tag]"), "steps.affinity.estimators[1]: 'tag' is listed twice"),
            (good.replacingOccurrences(of: "multitask: [equal, pcgrad]", with: "multitask: [equal, pcgradd]"), "study.yaml:10: steps.multitask[1]: unknown method 'pcgradd'"),
            (good.replacingOccurrences(of: "model: tab.yaml", with: "model: missing.yaml"), "study.yaml:6: model: 'missing.yaml' is neither a built-in model"),
            (good.replacingOccurrences(of: "name: small", with: "name: ../x"), "study.yaml:1: name: '../x' must be"),
            (good.replacingOccurrences(of: "search: grid", with: "search: grid\n  trials: 3"), "sweep.trials: a grid runs every combination"),
            (good.replacingOccurrences(of: "lr: [0.05, 0.1]", with: "lr: {min: 0.01, max: 0.1}"), "sweep.parameters.lr: a range needs search: random"),
            (good.replacingOccurrences(of: "lr: [0.05, 0.1]", with: "lr: [0.05, -1]"), "sweep.parameters.lr[1]: lr: expected a positive learning rate"),
            (good.replacingOccurrences(of: "[[1, 1, 1], [1, 0.5, 0.5]]", with: "[1, 0.5]"), "sweep.parameters.loss_weights[0]: expected a list of per-task weights"),
            (good.replacingOccurrences(of: "budgets: [1, 2]", with: "budgets: [2, 2]"), "steps.grouping.budgets: 2 is listed twice"),
            (good.replacingOccurrences(of: "steps:", with: "steps:\n  pruned: true"), "steps.pruned: unknown key"),
            (good.replacingOccurrences(of: "[snip, disparse-pt]", with: "[snip, magnitude]"), "steps.pruning.methods[1]: unknown method 'magnitude'"),
            (good.replacingOccurrences(of: "sparsity: [0.5]", with: "sparsity: [1]"), "steps.pruning.sparsity[0]: expected a fraction of the trunk's weights in [0, 1)"),
            ("name: x\n", "study.yaml:1: data: missing"),
            ("- a\n- b\n", "study.yaml:1: expected a mapping"),
            ("name: [\n", "study.yaml:2: not valid YAML"),
        ]
        // Syntax and types, then checks that need the data: each refused with file, line and key, nothing written.
        let data: [(String, String)] = [
            (good.replacingOccurrences(of: "budgets: [1, 2]", with: "budgets: [1, 4]"), "steps.grouping.budgets: 4 networks for 3 tasks"),
            (good.replacingOccurrences(of: "[task0, task1, task5]", with: "[task0, nope]"), "nope"),
            (good.replacingOccurrences(of: "[[1, 1, 1], [1, 0.5, 0.5]]", with: "[[1, 1]]"), "sweep: the trial loss_weights=static:1.0,1.0, lr=0.05: weighting 'static' needs 3"),
            (good.replacingOccurrences(of: "train_examples: 200", with: "train_examples: 200000"), "train examples 200000 is more than"),
            (good.replacingOccurrences(of: "search: grid", with: "search: grid\n  select: task0.accuracy"), "sweep.select: selection 'task0.accuracy': task 'task0' (regression) has the metrics mae, rmse"),
        ]
        for (yaml, expected) in cases + data {
            #expect(yaml != good, "the case must change the config: \(expected)")
            let file = try fixture.write(yaml)
            let output = fixture.folder.appendingPathComponent("runs/x")
            do {
                _ = try StudyRunner(file: file, output: output, version: "test")
                Issue.record("no error for: \(expected)")
            } catch {
                #expect("\(error)".hasPrefix(file.path) && "\(error)".contains(expected.replacingOccurrences(of: "study.yaml", with: file.path)), "\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: output.path), "\(expected): nothing is made for a refused study")
        }
        #expect(throws: ConfigurationError.self) { _ = try StudyRunner(file: fixture.folder.appendingPathComponent("none.yaml"), version: "test") }
    }

    /// The results without what depends on the clock.
    static func timeless(_ results: StudyResults) throws -> NSDictionary {
        try timelessJSON(RunJSON.encoder().encode(results))
    }

    /// One uninterrupted study; the same study stopped at several points and continued each time:
    /// the same results bit for bit, and no network trained twice. Running a finished study
    /// again trains nothing.
    @Test func stoppedAndResumedEqualsUninterrupted() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let file = try fixture.write(Self.study)
        let straight = fixture.folder.appendingPathComponent("runs/straight")
        var written = 0
        let reference = try #require(try {
            let runner = try StudyRunner(file: file, output: straight, version: "test")
            runner.onResults = { _ in written += 1 }
            return try runner.run()
        }())
        #expect(reference.complete && written == 9)  // 8 steps and the recommendation
        #expect(reference.baselines?.count == 3 && reference.multitask?.map(\.label) == ["equal", "pcgrad"])
        #expect(reference.multitask?.allSatisfy { $0.deltaM != nil && $0.curves.count == 2 && $0.testLoss == $0.test.totalLoss } == true)
        #expect(reference.groundTruth?.networks == 7 && reference.affinity?.map(\.method) == ["tag", "cosine", "pairwise", "snip-iou"])
        #expect(reference.pruning?.map(\.network.label) == ["snip 50%", "disparse-pt 50%"])
        #expect(reference.pruning?.allSatisfy { abs($0.trunkSparsity - 0.5) < 0.01 && $0.deltaMDense != nil && $0.network.curves.count == 2 } == true)
        #expect(reference.grouping?.evaluation?.budgets.map(\.maxGroups) == [1, 2] && reference.recommendations?.count == 2)
        #expect(reference.sweep?.trials.count == 4 && reference.sweep?.trials.map(\.rank) == [1, 2, 3, 4])
        let scores = reference.sweep!.trials.map(\.validationScore)
        #expect(scores == scores.sorted())
        #expect(reference.taskVectors?.sweeps.count == 3 && reference.taskVectors?.merges?.map(\.method) == [.ties, .dareTies])
        #expect(reference.taskVectors?.merges?.allSatisfy { $0.points.count == 3 && [0, 0.5, 1].contains($0.chosenAlpha) } == true)
        // Every network trained once: singles 3, multi-task 2, the ground truth's 3 others (its singles and
        // all-task network are cached), the affinity run 1, the pruned 2 (beside the cached dense network), the sweep 3
        // (other weights and learning rates; its trial of weights 1, 1, 1 at the base learning rate is the equal network).
        #expect(reference.timings.map(\.trained) == [3, 2, 3, 1, 0, 0, 2, 3] && reference.timings.map(\.cached) == [0, 0, 4, 6, 3, 0, 1, 1], "\(reference.timings)")
        // The cached equal-weighted network is the ground truth's network of all tasks.
        #expect(reference.multitask![0].test == reference.groundTruth!.truth.network(["task0", "task1", "task5"])!.test)

        // Again: nothing to do.
        do {
            let again = try StudyRunner(file: file, output: straight, version: "test")
            let same = try #require(try again.run())
            #expect(same == reference)
        }

        // Stopped after every 7th training step, continued until done.
        let stopped = fixture.folder.appendingPathComponent("runs/stopped")
        var stops = 0, finished: StudyResults?, vectorsStopped = false
        while finished == nil {
            let resumed = try StudyRunner(file: file, output: stopped, version: "test")
            var steps = 0, inVectors = false
            resumed.onEvent = { if case .step = $0 { steps += 1 } }
            // Once, in the middle of the task-vector sweeps (no training there).
            resumed.log = { if $0.hasPrefix("task vectors: α sweep of task1") && !vectorsStopped { (inVectors, vectorsStopped) = (true, true) } }
            resumed.shouldStop = { steps >= 7 || inVectors }
            finished = try resumed.run()
            if finished == nil { stops += 1 }
            #expect(stops < 200)
            if stops >= 200 { return }
        }
        #expect(stops > 10 && vectorsStopped)
        #expect(try Self.timeless(finished!) == Self.timeless(reference))
        // Graceful stops carry a step's time and networks over: every network counted once.
        #expect(finished!.timings.map(\.trained) == reference.timings.map(\.trained) && finished!.timings.map(\.cached) == reference.timings.map(\.cached),
                "\(finished!.timings)")
    }

    /// A changed config is refused in the same folder; --overwrite replaces it (reusing cached networks).
    @Test func changedConfigIsRefusedUnlessOverwritten() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let small = "name: s\ndata: {suite: synthetic, tasks: [task0, task1], train_examples: 100}\nmodel: tab.yaml\n"
            + "training: {epochs: 1, batch_size: 32, threads: 1}\nsteps: {baselines: true}\n"
        let output = fixture.folder.appendingPathComponent("runs/s")
        _ = try #require(try StudyRunner(file: try fixture.write(small), output: output, version: "t").run())
        let changed = try fixture.write(small.replacingOccurrences(of: "epochs: 1", with: "epochs: 2"))
        #expect { _ = try StudyRunner(file: changed, output: output, version: "t") } throws: { "\($0)".contains("another config (training differ)") }
        let replaced = try #require(try StudyRunner(file: changed, output: output, overwrite: true, version: "t").run())
        #expect(replaced.baselines?.allSatisfy { $0.curves.count == 2 } == true)
        // A non-empty folder that is not a study is not taken.
        let other = fixture.folder.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: other.appendingPathComponent("notes.txt"))
        #expect { _ = try StudyRunner(file: changed, output: other, overwrite: true, version: "t") } throws: { "\($0)".contains("holds no study") }

        // Listing and comparing.
        let entries = try StudyRuns.list(fixture.folder.appendingPathComponent("runs"))
        #expect(entries.map(\.name) == ["s"])
        #expect(StudyRuns.table(entries).contains("| s | complete | task0, task1 |"))
        let comparison = StudyRuns.compare(entries[0], entries[0])
        #expect(comparison.contains("The configs are the same") && comparison.contains("| single-task | task0 | mae ↓ |"))
    }

    /// What an adversarial review found: settings silently dropped or changed, errors found only
    /// after work had started, studies that could not be recovered; each now refused (or
    /// recovered) before any training.
    @Test func hostileConfigsAreRefusedBeforeWork() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let base = "name: h\ndata: {suite: synthetic, tasks: [task0, task1], train_examples: 100}\nmodel: tab.yaml\ntraining: {epochs: 1, batch_size: 32, threads: 1}\n"
        let output = fixture.folder.appendingPathComponent("runs/h")
        try Data("x".utf8).write(to: fixture.folder.appendingPathComponent("afile"))
        let cases: [(String, String)] = [
            ("steps: {baselines: true, task_vectors: false, pruning: {methods: [bogus], sparsity: [0.5]}}", ":5: steps.pruning.methods[0]: unknown method 'bogus'"),
            ("steps: {task_vectors: false, pruning: {methods: [snip], sparsity: [7]}}", ":5: steps.pruning.sparsity[0]: expected a fraction"),
            ("steps: {baselines: true}\ncache: ~", ":6: cache: expected a non-empty string, found null"),
            ("steps: {baselines: true}\ncache: afile", "cache: \(fixture.folder.path)/afile is a file"),
            ("steps: {task_vectors: {include: [nomatch.*]}}", ":5: steps.task_vectors.include: 'nomatch.*' selects none of the model's tensors"),
            ("steps: {task_vectors: {include: ['trunk.*', nomatch.*]}}", ":5: steps.task_vectors.include: 'nomatch.*' selects none of the model's tensors"),
            ("steps: {task_vectors: {merges: [dare_ties], density: 0.01}}", ":5: steps.task_vectors.density: dare_ties: 0.01 keeps on average"),
            ("steps: {task_vectors: {merges: [ties], density: 0.01}}", ":5: steps.task_vectors.density: ties: 0.01 keeps no entry of"),
            ("steps: {task_vectors: {pretrained: tab.yaml}}", ":5: steps.task_vectors.pretrained: \(fixture.folder.path)/tab.yaml is not a checkpoint"),
            ("steps: {baselines: true}\nsweep: {search: random, trials: 50, parameters: {lr: {min: 0.001, max: 0.0010001}}}", ":6: sweep.trials: only 1 distinct trials"),
            ("steps: {baselines: true}\nsweep: {select: nope.accuracy, parameters: {lr: [0.1, 0.2]}}", ":6: sweep.select: selection 'nope.accuracy'"),
            ("steps: {ground_truth: true, grouping: {budgets: [3]}}", ":5: steps.grouping.budgets: 3 networks for 2 tasks"),
            ("steps: {pruning: {methods: [snip], sparsity: []}}", ":5: steps.pruning.sparsity: expected at least one sparsity"),
            ("steps: {pruning: {methods: [], sparsity: [0.5]}}", ":5: steps.pruning.methods: expected at least one method"),
            // Two spellings of one method, settings of estimators not listed, verify with a ground truth, quoted booleans.
            ("steps: {multitask: [pcgrad, 'cagrad:0.4', cagrad]}", ":5: steps.multitask[2]: 'cagrad' is 'cagrad:0.4' again"),
            ("steps: {multitask: ['dwa:2', dwa]}", ":5: steps.multitask[1]: 'dwa' is 'dwa:2' again"),
            ("steps: {affinity: {estimators: [tag], esa_fraction: 0.5}}", ":5: steps.affinity.esa_fraction: applies to esa"),
            ("steps: {affinity: {estimators: [pairwise], mask_batches: 4}}", ":5: steps.affinity.mask_batches: applies to snip-iou, snip-rank"),
            ("steps: {ground_truth: true, grouping: {budgets: [1], verify: true}}", ":5: steps.grouping.verify: with steps.ground_truth"),
            ("steps: {ground_truth: 'yes'}", ":5: steps.ground_truth: expected true or false, found the quoted string 'yes'"),
            ("steps: {task_vectors: {include: []}}", ":5: steps.task_vectors.include: expected at least one name pattern"),
        ]
        for (steps, expected) in cases {
            let file = try fixture.write(base + steps)
            do {
                _ = try StudyRunner(file: file, output: output, version: "t")
                Issue.record("no error for: \(expected)")
            } catch {
                #expect("\(error)".hasPrefix(file.path) && "\(error)".contains(expected), "\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: output.path), "\(expected)")
        }
        for (training, expected) in [("lr: 1.0e-300", "training.lr: 1e-300 is outside what a 32-bit float holds"), ("weight_decay: 1.0e-300", "training.weight_decay: 1e-300 is outside")] {
            let file = try fixture.write(base.replacingOccurrences(of: "threads: 1", with: "threads: 1, \(training)") + "steps: {baselines: true}")
            #expect { _ = try StudyRunner(file: file, output: output, version: "t") } throws: { "\($0)".contains(":4: \(expected)") }
        }
        let unknownTask = try fixture.write(base.replacingOccurrences(of: "[task0, task1]", with: "[task0, nope]") + "steps: {baselines: true}")
        #expect { _ = try StudyRunner(file: unknownTask, output: output, version: "t") } throws: { "\($0)".hasPrefix("\(unknownTask.path):2: data: ") && "\($0)".contains("nope") }
        let twice = try fixture.write(base + "steps: {baselines: true}\nname: again\n")
        #expect { _ = try StudyRunner(file: twice, output: output, version: "t") } throws: { "\($0)" == "\(twice.path):6: name: given twice" }
        let file = try fixture.write(base + "steps: {baselines: true}")
        #expect { _ = try StudyRunner(file: file, output: fixture.folder.appendingPathComponent("afile"), version: "t") } throws: { "\($0)".contains("that is a file") }

        // A diverging sweep trial is recorded; the others are ranked and the study finishes.
        let diverging = try fixture.write(base.replacingOccurrences(of: "threads: 1", with: "threads: 1, optimizer: sgd")
                                          + "steps: {baselines: true}\nsweep: {parameters: {lr: [0.01, 1.0e+30]}}", "diverging.yaml")
        let swept = try #require(try StudyRunner(file: diverging, output: fixture.folder.appendingPathComponent("runs/d"), version: "t").run())
        #expect(swept.sweep?.trials.map { $0.settings["lr"] } == ["0.01"] && swept.sweep?.failed?.first?.reason.contains("became") == true, "\(String(describing: swept.sweep))")

        // A study whose study.json was lost: refused, then started over with --overwrite (no network retrained);
        // a study killed before study.json was written starts as new.
        _ = try #require(try StudyRunner(file: file, output: output, version: "t").run())
        try FileManager.default.removeItem(at: output.appendingPathComponent("study.json"))
        #expect { _ = try StudyRunner(file: file, output: output, version: "t") } throws: { "\($0)".contains("study.json is missing beside results.json") }
        let redone = try #require(try StudyRunner(file: file, output: output, overwrite: true, version: "t").run())
        #expect(redone.timings.map(\.trained) == [0] && redone.timings.map(\.cached) == [2])
        try Data("[]".utf8).write(to: output.appendingPathComponent("study.json"))
        #expect { _ = try StudyRunner(file: file, output: output, version: "t") } throws: { "\($0)".contains("--overwrite") }
        _ = try #require(try StudyRunner(file: file, output: output, overwrite: true, version: "t").run())
        for name in ["study.json", "results.json", "summary.md", "report.html"] { try? FileManager.default.removeItem(at: output.appendingPathComponent(name)) }
        #expect(try StudyRunner(file: file, output: output, version: "t").run()?.complete == true)
        // Only comments changed: the same study, its study.yaml refreshed. A folder inside a study is refused.
        let commented = try fixture.write("# a comment\n" + base + "steps: {baselines: true}", "commented.yaml")
        _ = try #require(try StudyRunner(file: commented, output: output, version: "t").run())
        #expect(try String(contentsOf: output.appendingPathComponent("study.yaml"), encoding: .utf8).hasPrefix("# a comment"))
        #expect { _ = try StudyRunner(file: file, output: output.appendingPathComponent("networks/inner"), version: "t") } throws: { "\($0)".contains("inside the study") }
    }

    /// Equal settings spelled differently are one cached network.
    @Test func weightingsHaveOneSpelling() {
        #expect(StudyConfig.canonicalWeighting("ew") == "equal" && StudyConfig.canonicalWeighting("EQUAL") == "equal")
        #expect(StudyConfig.canonicalWeighting("static:1,1", tasks: 2) == "equal")
        #expect(StudyConfig.canonicalWeighting("static:1,1", tasks: 3) == "static:1.0,1.0", "a wrong count is left for the check to see")
        #expect(StudyConfig.canonicalWeighting("static:1, .5") == "static:1.0,0.5" && StudyConfig.canonicalWeighting("static:1,x") == "static:1,x")
        #expect(StudyConfig.canonicalWeighting("uw") == "uw")
    }

    /// Without the ground truth: each estimator's groups, unverified (the recommendation says
    /// whose, or that all agree) or trained and scored (the best on validation is recommended).
    @Test func groupingWithoutGroundTruth() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let base = "name: g\ndata: {suite: synthetic, tasks: [task0, task1, task5], train_examples: 120}\nmodel: tab.yaml\n"
            + "training: {epochs: 1, batch_size: 32, threads: 1, seed: 2}\nsteps:\n  affinity: {estimators: [tag, cosine], every: 1}\n"
        let plain = try #require(try StudyRunner(file: try fixture.write(base + "  grouping: {budgets: [1, 2]}\n", "plain.yaml"),
                                                 output: fixture.folder.appendingPathComponent("runs/plain"), version: "t").run())
        #expect(plain.grouping?.evaluation == nil && plain.grouping?.choices.count == 4 && plain.grouping?.choices.allSatisfy { $0.testLoss == nil } == true)
        #expect(plain.recommendations?[0].source.hasPrefix("every estimator's choice") == true && plain.recommendations?[0].groups == [["task0", "task1", "task5"]])
        let verified = try #require(try StudyRunner(file: try fixture.write(base + "  grouping: {budgets: [1, 2], verify: true}\n", "verified.yaml"),
                                                    output: fixture.folder.appendingPathComponent("runs/verified"), version: "t").run())
        #expect(verified.grouping?.choices.allSatisfy { $0.validationLoss != nil && $0.testLoss != nil && $0.deltaM != nil } == true)
        let best = try #require(verified.grouping?.choices.filter { $0.maxGroups == 2 }.min { $0.validationLoss! < $1.validationLoss! })
        #expect(verified.recommendations?[1].groups == best.groups && verified.recommendations?[1].source.contains("trained and best on validation") == true)
    }
}

/// `mtk runs list`'s table stays a table whatever the folders are called.
@Suite("Study lists")
struct StudyListTests {
    @Test func pipesInNamesAreEscaped() {
        let entry = StudyRuns.Entry(directory: URL(fileURLWithPath: "/r/we ird|name"), results: nil, config: nil, modified: .distantPast, problem: "bad | file")
        #expect(StudyRuns.table([entry]).split(separator: "\n").last == "| we ird\\|name | unreadable: bad \\| file | | | | | /r/we ird\\|name |")
    }
}
