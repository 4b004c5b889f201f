import Foundation
import Testing

/// `mtk train` as a user meets it: validation before work, resume from the directory alone,
/// contradicting options, and kills at random points.
@Suite("mtk train")
struct TrainCommandTests {
    /// Every bad value is rejected before any work with a message about the value; negative
    /// numbers are read as values (`--lr -1`), not as missing ones.
    @Test(arguments: [
        (["--lr", "-1"], "lr (learning rate) must be a finite number ≥ 0, got -1"),
        (["--lr", "nan"], "lr (learning rate) must be a finite number ≥ 0, got nan"),
        (["--clip", "0"], "clip (the gradient-norm limit) must be a positive number"),
        (["--optimizer", "sgd", "--momentum", "1"], "momentum must be in [0, 1)"),
        (["--optimizer", "sgd", "--momentum", "-0.5"], "momentum must be in [0, 1)"),
        (["--weight-decay", "-0.1"], "weight decay must be a finite number ≥ 0"),
        (["--weighting", "static:1,-2"], "weights must be finite, ≥ 0 and not all 0"),
        (["--validation-fraction", "1"], "validation fraction must be in [0, 1)"),
        (["--validation-fraction", "-0.2"], "validation fraction must be in [0, 1)"),
        (["--threads", "0"], "threads must be between 1 and 1024, got 0"),
        (["--epochs", "-3"], "epochs must be at least 1, got -3"),
        (["--selection", "c.mae"], "task 'c' (multiclass(3)) has the metrics accuracy, macro_f1"),
        (["--nesterov"], "nesterov applies to sgd only, not adam"),
        (["--momentum", "0.9"], "momentum applies to sgd only"),
        (["--suite", "synthetic"], "give a suite or a CSV file, not both"),
        (["--max-steps", "0"], "max-steps must be at least 1"),
        (["--strict"], "--strict applies to a checkpoint to start from (--init)"),
        (["--validation-fraction", "0", "--patience", "2"], "patience 2 (early stopping) needs a validation split"),
        (["-o", ""], "--output is empty"),
    ])
    func badOptionsAreRejectedBeforeWork(options: [String], message: String) throws {
        let fixture = try TabularFixture(rows: 40)
        defer { fixture.remove() }
        let outcome = try MTK.run(fixture.train("run", options), in: fixture.folder)
        #expect(outcome.status != 0)
        #expect(outcome.output.contains(message), "\(outcome.output)")
        #expect(!outcome.output.contains("epoch 1"), "training started")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("run/config.json").path))
    }

    /// A CSV run stopped by --max-steps continues with `--resume -o DIR` alone and ends
    /// bit-identical to an uninterrupted run; contradicting options are refused by name.
    @Test func resumeFromTheDirectoryAlone() throws {
        let fixture = try TabularFixture()
        defer { fixture.remove() }
        let straight = try MTK.run(fixture.train("straight"), in: fixture.folder)
        #expect(straight.status == 0, "\(straight.output)")
        let stopped = try MTK.run(fixture.train("stopped", ["--max-steps", "50"]), in: fixture.folder)
        #expect(stopped.status == 0 && stopped.output.contains("stopped after 50 steps"), "\(stopped.output)")
        let dir = fixture.folder.appendingPathComponent("stopped").path
        let contradiction = try MTK.run(["train", "--resume", "-o", dir, "--lr", "0.5", "--seed", "4"], in: fixture.folder)
        #expect(contradiction.status != 0)
        #expect(contradiction.output.contains("training.optimizer.learningRate: 0.5 given, the run has 0.001"), "\(contradiction.output)")
        #expect(contradiction.output.contains("training.seed: 4 given, the run has 3"))
        // The table changed since the run started: refused, until it is restored.
        let original = try Data(contentsOf: fixture.csv)
        var edited = String(decoding: original, as: UTF8.self)
        edited = edited.replacingOccurrences(of: "\n0.", with: "\n1.", options: [], range: edited.range(of: "\n0."))
        try Data(edited.utf8).write(to: fixture.csv)
        let changed = try MTK.run(["train", "--resume", "-o", dir], in: fixture.folder)
        #expect(changed.status != 0 && changed.output.contains("the data differs from when the run"), "\(changed.output)")
        try original.write(to: fixture.csv)
        let resumed = try MTK.run(["train", "--resume", "-o", dir], in: fixture.folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        for file in ["last.safetensors", "best.safetensors"] {
            #expect(FileManager.default.contentsEqual(atPath: fixture.folder.appendingPathComponent("straight/\(file)").path, andPath: "\(dir)/\(file)"), "\(file)")
        }
        // More epochs extend the finished run; fewer than done are refused.
        let fewer = try MTK.run(["train", "--resume", "-o", dir, "--epochs", "2"], in: fixture.folder)
        #expect(fewer.status != 0 && fewer.output.contains("has already completed 3 epochs"), "\(fewer.output)")
        let extended = try MTK.run(["train", "--resume", "-o", dir, "--epochs", "4", "--threads", "2"], in: fixture.folder)
        #expect(extended.status == 0 && extended.output.contains("epoch 4 done"), "\(extended.output)")
        #expect(extended.output.contains("warning: the run used 1 threads and continues on 2"))
    }

    /// A new run into a directory that holds one is refused unless --overwrite.
    @Test func occupiedDirectoryNeedsOverwrite() throws {
        let fixture = try TabularFixture(rows: 60)
        defer { fixture.remove() }
        #expect(try MTK.run(fixture.train("run", ["--epochs", "1"]), in: fixture.folder).status == 0)
        let again = try MTK.run(fixture.train("run", ["--epochs", "1"]), in: fixture.folder)
        #expect(again.status != 0 && again.output.contains("holds another run: continue it with --resume, replace it with --overwrite"), "\(again.output)")
        #expect(try MTK.run(fixture.train("run", ["--epochs", "1", "--overwrite"]), in: fixture.folder).status == 0)
    }

    /// SIGKILL at random points (seeded), then `--resume` until the run ends: the result is
    /// bit-identical to an uninterrupted run, and no temporary file is left behind.
    @Test func killedAtRandomPointsResumesExactly() throws {
        let fixture = try TabularFixture(rows: 1500)
        defer { fixture.remove() }
        // Kills are placed by progress, not by the clock, so the test means the same on a fast
        // machine and a slow one: after a seeded number (0-24) of the run's progress lines (ten
        // per epoch, and one per finished epoch) plus 0-29 ms, wherever that lands — loading,
        // a step, a save.
        let options = ["--epochs", "10", "--batch-size", "8"]
        #expect(try MTK.run(fixture.train("straight", options), in: fixture.folder).status == 0)
        let dir = fixture.folder.appendingPathComponent("killed")
        let (kills, finished) = try KillLoop(seed: 12345, lines: 25).run(log: fixture.folder.appendingPathComponent("kill.log"), counts: { $0.hasPrefix("epoch ") }) {
            // Killed before config.json existed: start anew; else resume.
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path)
                ? ["train", "--resume", "-o", dir.path] : fixture.train("killed", options + ["--overwrite"])
        }
        #expect(finished && kills >= 3, "finished \(finished) after \(kills) kills")
        for file in ["last.safetensors", "best.safetensors"] {
            #expect(FileManager.default.contentsEqual(atPath: fixture.folder.appendingPathComponent("straight/\(file)").path,
                                                      andPath: dir.appendingPathComponent(file).path), "\(file)")
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// SIGTERM, like a first Ctrl-C, saves a resumable snapshot and stops.
    @Test func sigtermSavesAndStops() throws {
        let fixture = try TabularFixture(rows: 3000)
        defer { fixture.remove() }
        let log = fixture.folder.appendingPathComponent("term.log")
        let process = try MTK.start(fixture.train("run", ["--epochs", "5", "--batch-size", "2"]), log: log)
        var started = false
        for _ in 0..<200 where !started {  // until the first step has run
            Thread.sleep(forTimeInterval: 0.05)
            started = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("step ")
        }
        #expect(started)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let outcome = MTK.outcome(process, log: log)
        #expect(outcome.status == 0 && outcome.output.contains("continue with: mtk train --resume"), "\(outcome.output)")
    }

    /// Ctrl-C while the data loads (Fashion-MNIST: seconds) quits at once: nothing to save yet.
    @Test func interruptWhileLoadingQuitsPromptly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("int.log")
        let process = try MTK.start(["train", "--epochs", "1", "-o", folder.appendingPathComponent("run").path], log: log)
        Thread.sleep(forTimeInterval: 0.4)
        let sent = ContinuousClock.now
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let waited = ContinuousClock.now - sent
        let outcome = MTK.outcome(process, log: log)
        #expect(outcome.status == 130 && outcome.output.contains("interrupted: quitting now"), "\(outcome.output)")
        #expect(waited < .seconds(3) && !outcome.output.contains("epoch 1/"))
    }

    /// A test CSV must have the training CSV's feature columns (by name and order) and tasks;
    /// task names can never leave the run directory.
    @Test func tablesThatDoNotFitAreRefusedBeforeWork() throws {
        let fixture = try TabularFixture(rows: 60)
        defer { fixture.remove() }
        let lines = try String(contentsOf: fixture.csv, encoding: .utf8).split(separator: "\n").map(String.init)
        func table(_ name: String, _ transform: ([String]) -> [String]) throws -> String {
            let url = fixture.folder.appendingPathComponent(name)
            try (lines.map { transform($0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)).joined(separator: ",") }.joined(separator: "\n") + "\n")
                .write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let fewer = try table("fewer.csv") { Array($0[1...]) }
        let swapped = try table("swapped.csv") { [$0[1], $0[0]] + $0[2...] }
        let escaping = try table("escaping.csv") { $0[0] == "f0" ? $0.map { $0 == "task:y:regression" ? "task:../../escaped:regression" : $0 } : $0 }
        // The training CSV again, through a link or as a copy.
        let link = fixture.folder.appendingPathComponent("link.csv").path, copy = fixture.folder.appendingPathComponent("copy.csv").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fixture.csv.path)
        try FileManager.default.copyItem(atPath: fixture.csv.path, toPath: copy)
        let crlf = fixture.folder.appendingPathComponent("crlf.csv").path
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: crlf, atomically: true, encoding: .utf8)
        for (test, message) in [(fewer, "has the feature columns f1, f2, f3, the training CSV"), (swapped, "has the feature columns f1, f0, f2, f3"),
                                (link, "holds the same bytes as the training CSV"), (copy, "holds the same bytes as the training CSV"),
                                (crlf, "holds the same rows as the training CSV")] {
            let outcome = try MTK.run(fixture.train("run", ["--test-csv", test]), in: fixture.folder)
            #expect(outcome.status != 0 && outcome.output.contains(message) && !outcome.output.contains("Fatal"), "\(outcome.output)")
        }
        let outcome = try MTK.run(["train", "--csv", escaping, "--model", fixture.spec.path, "--baselines", "-o", fixture.folder.appendingPathComponent("run").path], in: fixture.folder)
        #expect(outcome.status != 0 && outcome.output.contains("header 'task:../../escaped:regression': a task name must not start with '.'"), "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.deletingLastPathComponent().appendingPathComponent("escaped").path))
    }

    /// Moved data files: a resume may point at their new place when the contents are the same;
    /// naming the tasks the run already learns is no conflict. `mtk eval` uses the run's data.
    @Test func resumeWithMovedDataAndEvalOnTheRunsData() throws {
        let fixture = try TabularFixture(rows: 200)
        defer { fixture.remove() }
        #expect(try MTK.run(fixture.train("run", ["--max-steps", "5"]), in: fixture.folder).status == 0)
        let moved = fixture.folder.appendingPathComponent("moved.csv")
        try FileManager.default.moveItem(at: fixture.csv, to: moved)
        let dir = fixture.folder.appendingPathComponent("run").path
        let missing = try MTK.run(["train", "--resume", "-o", dir], in: fixture.folder)
        #expect(missing.status != 0 && missing.output.contains("table.csv"), "\(missing.output)")
        let resumed = try MTK.run(["train", "--resume", "-o", dir, "--csv", moved.path, "--tasks", "y,c"], in: fixture.folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        let evaluated = try MTK.run(["eval", dir, "--tasks", "c"], in: fixture.folder)
        #expect(evaluated.status == 0 && evaluated.output.contains("weights: \(dir)/snapshots/") && evaluated.output.contains("| c | accuracy |"), "\(evaluated.output)")
        #expect(!evaluated.output.contains("| y |"))
    }

    /// `mtk doctor` reads negative numbers as values and bounds the work it is asked for.
    @Test func doctorBoundsItsMeasurement() throws {
        let folder = FileManager.default.temporaryDirectory
        for (options, message) in [(["--size", "-5"], "--size must be between 1 and 8192, got -5"), (["--size", "100000"], "got 100000"), (["--seconds", "1e9"], "--seconds must be between 0 and 60")] {
            let outcome = try MTK.run(["doctor"] + options, in: folder)
            #expect(outcome.status != 0 && outcome.output.contains(message), "\(outcome.output)")
        }
    }

    /// A model whose batch would not fit is refused before its weights are allocated (in well
    /// under a second, not after minutes of initialisation), and so is one that does not fit the data.
    @Test func oversizedBatchIsRefusedBeforeAllocating() throws {
        let fixture = try TabularFixture(rows: 200)
        defer { fixture.remove() }
        let wide = fixture.folder.appendingPathComponent("wide.yaml")
        try "name: wide\ninput: [4]\ntrunk: [{linear: {out: 50000000}}, relu]\nheads: {}\n".write(to: wide, atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        let outcome = try MTK.run(["train", "--csv", fixture.csv.path, "--model", wide.path, "-o", fixture.folder.appendingPathComponent("run").path], in: fixture.folder)
        #expect(outcome.status != 0 && outcome.output.contains("batch size: a batch of 128 would need") && outcome.output.contains("lower the batch size"), "\(outcome.output)")
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("run/config.json").path))
    }
}
