import Foundation
import Testing

/// `mtk affinity` as a user meets it.
@Suite("mtk affinity")
struct AffinityCommandTests {
    @Test(arguments: [(["--tasks", "y"], "affinity needs at least two tasks"), (["--method", "tag,fisherx"], "unknown method 'fisherx'"),
                      (["--every", "0"], "affinity: every must be at least 1, got 0"),
                      (["--method", "fisher", "--fisher-head-steps", "-2"], "fisher head steps must be at least 0, got -2"),
                      (["--method", "tag,tag"], "method 'tag' is named twice"),
                      (["--method", "tag", "--matrices-only"], "matrices only applies to cosine, which is not measured"),
                      (["--fisher-examples", "5"], "fisher examples applies to fisher, which is not measured"),
                      (["--groups", ""], "groups: expected groups of task names"),
                      (["--groups", "y+c,c+y"], "the group y+c is given twice"),
                      (["--method", "tag", "--divide-by-lr", "--lr", "0"], "divide by lr needs a learning rate above 0")])
    func badRequestsAreRefusedBeforeTraining(options: [String], message: String) throws {
        let fixture = try TabularFixture(rows: 60)
        defer { fixture.remove() }
        var arguments = fixture.train("run", options)
        arguments[0] = "affinity"
        let outcome = try MTK.run(arguments, in: fixture.folder)
        #expect(outcome.status != 0 && outcome.output.contains(message) && !outcome.output.contains("epoch 1"), "\(outcome.output)")
    }

    /// `mtk bench train --affinity` runs the peers' CNN workload only; a wrong name is named.
    @Test(arguments: [(["--workload", "mlp", "--affinity", "tag_affinity"], "the affinity benchmarks run the cnn workload"),
                      (["--workload", "cnn", "--affinity", "tag"], "--affinity must be tag_affinity or grad_cos, got 'tag'"),
                      (["--workload", "cnn", "--affinity", "grad_cos", "--every", "0"], "--every: expected at least 1, got 0")])
    func badAffinityBenchmarksAreRefused(options: [String], message: String) throws {
        let folder = FileManager.default.temporaryDirectory
        let outcome = try MTK.run(["bench", "train"] + options, in: folder)
        #expect(outcome.status != 0 && outcome.output.contains(message), "\(outcome.output)")
    }

    /// One run, three matrices, each written as JSON and CSV with its orientation.
    @Test func writesEveryMatrix() throws {
        let fixture = try TabularFixture(rows: 200)
        defer { fixture.remove() }
        var arguments = fixture.train("run", ["--epochs", "1", "--every", "3", "--per-step", "--groups", "y+c,c"])
        arguments[0] = "affinity"
        let outcome = try MTK.run(arguments, in: fixture.folder)
        #expect(outcome.status == 0 && outcome.output.contains("tag: row = source, column = target"), "\(outcome.output)")
        for method in ["tag", "first-order", "cosine"] {
            let folder = fixture.folder.appendingPathComponent("run/affinity")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("\(method).json"))) as? [String: Any]
            #expect(json?["tasks"] as? [String] == ["y", "c"] && json?["orientation"] as? String == "row-source-column-target", "\(method)")
            #expect((json?["steps"] as? [Int])?.first == 0)
            let csv = try String(contentsOf: folder.appendingPathComponent("\(method).csv"), encoding: .utf8)
            #expect(csv.hasPrefix("source\\target,y,c\n"), "\(csv)")
        }
        let groups = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.folder.appendingPathComponent("run/affinity/tag-groups.json"))) as? [String: Any]
        #expect(groups?["groups"] as? [[String]] == [["y", "c"], ["c"]] && (groups?["memberScores"] as? [Double])?.count == 2)
        let lines = try String(contentsOf: fixture.folder.appendingPathComponent("run/affinity/steps.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 3 && lines.allSatisfy { $0.contains("\"step\":") && $0.contains("\"values\":[[") })
    }

    /// An affinity run stopped midway continues with `--resume -o DIR` alone, and its matrices
    /// (and per-step samples) equal those of an uninterrupted run.
    @Test func stoppedAffinityRunResumesExactly() throws {
        let fixture = try TabularFixture(rows: 300)
        defer { fixture.remove() }
        func affinity(_ run: String, _ extra: [String]) -> [String] {
            var arguments = fixture.train(run, ["--epochs", "2", "--every", "4", "--per-step", "--method", "tag,first-order,cosine,fisher", "--fisher-examples", "50"] + extra)
            arguments[0] = "affinity"
            return arguments
        }
        #expect(try MTK.run(affinity("straight", []), in: fixture.folder).status == 0)
        let stopped = try MTK.run(affinity("stopped", ["--max-steps", "30"]), in: fixture.folder)
        #expect(stopped.status == 0 && stopped.output.contains("continue with: mtk affinity --resume"), "\(stopped.output)")
        let dir = fixture.folder.appendingPathComponent("stopped").path
        let plain = try MTK.run(["train", "--resume", "-o", dir], in: fixture.folder)
        #expect(plain.status != 0 && plain.output.contains("continue it with mtk affinity --resume"), "\(plain.output)")
        let changed = try MTK.run(["affinity", "--resume", "-o", dir, "--every", "1", "--method", "cosine"], in: fixture.folder)
        #expect(changed.status != 0 && changed.output.contains("--method cosine given, the run has") && changed.output.contains("--every 1 given, the run has 4"), "\(changed.output)")
        // config.json edited by hand: named, with the field, before anything runs; put back, it resumes.
        let file = fixture.folder.appendingPathComponent("stopped/config.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        #expect(original.contains("\"every\" : 4"))
        try original.replacingOccurrences(of: "\"every\" : 4", with: "\"every\" : 1").write(to: file, atomically: true, encoding: .utf8)
        let edited = try MTK.run(["affinity", "--resume", "-o", dir], in: fixture.folder)
        #expect(edited.status != 0 && edited.output.contains("config.json: was edited after the run's last snapshot (affinity.every is 1, saved with 4)"), "\(edited.output)")
        try original.write(to: file, atomically: true, encoding: .utf8)
        let resumed = try MTK.run(["affinity", "--resume", "-o", dir], in: fixture.folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        for method in ["tag", "first-order", "cosine", "fisher"] {
            func values(_ run: String) throws -> String {
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.folder.appendingPathComponent("\(run)/affinity/\(method).json"))) as! [String: Any]
                return "\(json["values"]!) \(json["steps"]!)"
            }
            #expect(try values("stopped") == values("straight"), "\(method)")
        }
        #expect(try String(contentsOf: fixture.folder.appendingPathComponent("stopped/affinity/steps.jsonl"), encoding: .utf8)
                == String(contentsOf: fixture.folder.appendingPathComponent("straight/affinity/steps.jsonl"), encoding: .utf8))
    }
}
