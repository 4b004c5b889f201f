import Foundation
import Testing

/// `mtk finetune`, `mtk fisher`, `mtk task-vectors` and `mtk merge` as a user chains them: the
/// kept checkpoint is the epoch its rule names, one task vector at α = 1 is the fine-tuned model,
/// Fisher files feed Fisher merging, and bad configs fail before any output exists.
@Suite("mtk finetune, task-vectors, fisher, merge")
struct MergeCommandTests {
    static let settings = ["--batch-size", "16", "--seed", "3", "--threads", "1"]

    func json(_ url: URL) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any] }

    /// The records of a unit's metrics.jsonl.
    func epochs(_ unit: URL) throws -> [[String: Any]] {
        try String(contentsOf: unit.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func finetuneKeepsTheEpochItsRuleNamesAndTaskVectorsFollow() throws {
        let fixture = try TabularFixture(rows: 240, thirdTask: true)
        defer { fixture.remove() }
        let folder = fixture.folder
        let data = ["--csv", fixture.csv.path, "--model", fixture.spec.path]
        let pre = try MTK.run(["train"] + data + ["--tasks", "y", "--epochs", "2", "-o", folder.appendingPathComponent("pre").path] + Self.settings, in: folder)
        #expect(pre.status == 0, "\(pre.output)")
        let initFrom = folder.appendingPathComponent("pre/best.safetensors").path
        let intoRun = try MTK.run(["finetune"] + data + ["--tasks", "c", "--init", initFrom, "-o", folder.appendingPathComponent("pre").path] + Self.settings, in: folder)
        #expect(intoRun.status != 0 && intoRun.output.contains("is the training run directory"), "\(intoRun.output)")
        for keep in ["last", "best", "fisher"] {
            let out = folder.appendingPathComponent("ft-\(keep)")
            let run = try MTK.run(["finetune"] + data + ["--tasks", "c,z", "--epochs", "4", "--keep", keep, "--init", initFrom, "-o", out.path] + Self.settings, in: folder)
            #expect(run.status == 0, "\(run.output)")
            let record = try json(out.appendingPathComponent("finetune.json"))
            let models = record["models"] as! [[String: Any]]
            #expect(models.map { $0["tasks"] as! [String] } == [["c"], ["z"]])
            for model in models {
                let file = out.appendingPathComponent(model["file"] as! String)
                let history = try epochs(file.deletingLastPathComponent())
                let kept = model["epoch"] as! Int
                switch keep {
                case "last": #expect(kept == 4)
                case "fisher":
                    let traces = history.map { $0["fisherLogTrace"] as! Double }
                    #expect(kept == traces.indices.max { traces[$0] < traces[$1] }! + 1, "\(traces)")
                    // The kept file's Fisher, measured afresh, is the one recorded for its epoch.
                    let measured = model["fisherLogTrace"] as! Double
                    #expect(Swift.abs(measured - traces[kept - 1]) <= 1e-9 * Swift.abs(measured), "\(measured) vs \(traces)")
                default:
                    let values = history.map { $0["selectionValue"] as! Double }
                    #expect(kept == values.indices.min { values[$0] < values[$1] }! + 1, "\(values)")
                }
                // The weights file says which epoch it holds.
                let metadata = try MTK.run(["inspect", file.path], in: folder)
                #expect(metadata.output.contains("  epoch: \(kept)\n"), "\(metadata.output)")
                // A network's directory names its data: eval and fisher need no data options.
                if keep == "best" {
                    let network = file.deletingLastPathComponent().path
                    let evaluated = try MTK.run(["eval", network], in: folder)
                    #expect(evaluated.status == 0 && evaluated.output.contains("| \((model["tasks"] as! [String])[0]) |"), "\(evaluated.output)")
                    let fisher = try MTK.run(["fisher", network, "--examples", "20", "--threads", "1"], in: folder)
                    #expect(fisher.status == 0 && fisher.output.contains("log tr F ="), "\(fisher.output)")
                }
            }
        }
        let out = folder.appendingPathComponent("ft-best")
        let vectors = try MTK.run(["task-vectors", out.path, "--alphas", "0:1.5:0.5", "--threads", "1"], in: folder)
        #expect(vectors.status == 0, "\(vectors.output)")
        let study = try json(out.appendingPathComponent("task-vectors/results.json"))
        let sweeps = study["sweeps"] as! [[[String: Any]]]
        for (t, sweep) in sweeps.enumerated() {
            let atOne = sweep.first { $0["alpha"] as! Double == 1 }!
            #expect((atOne["test"] as! [[String: Any]])[t]["normalized"] as! Double == 1, "α = 1 on a task's own vector is its fine-tuned model")
        }
        let addition = study["addition"] as! [[String: Any]]
        let chosen = study["chosenAlpha"] as! Double
        let means = addition.map { point in (point["validation"] as! [[String: Any]]).map { $0["normalized"] as! Double }.reduce(0, +) }
        #expect(addition.firstIndex { $0["alpha"] as! Double == chosen } == means.indices.max { means[$0] < means[$1] }, "α is chosen on validation")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("task-vectors/cosine.json").path))
        let grouped = try MTK.run(["group", "--affinity", out.appendingPathComponent("task-vectors/cosine.json").path, "--max-groups", "1"], in: folder)
        #expect(grouped.status == 0, "\(grouped.output)")
        // Run again: the set is replaced as one; a folder holding other files is refused before any sweep.
        let again = try MTK.run(["task-vectors", out.path, "--alphas", "-0.5:1:0.5", "--threads", "1"], in: folder)  // negative α: task negation
        let alphas = (try json(out.appendingPathComponent("task-vectors/results.json"))["settings"] as? [String: Any])?["alphas"] as? [Double]
        #expect(again.status == 0 && alphas == [-0.5, 0, 0.5, 1], "\(again.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("task-vectors").path).sorted() == ["cosine.json", "report.md", "results.json"])
        try Data("mine".utf8).write(to: out.appendingPathComponent("task-vectors/notes.txt"))
        let foreign = try MTK.run(["task-vectors", out.path, "--threads", "1"], in: folder)
        #expect(foreign.status != 0 && foreign.output.contains("not replaced: it holds notes.txt, which is not part of an earlier mtk task-vectors output") && !foreign.output.contains("α sweep"), "\(foreign.output)")

        // Each model's Fisher, then Fisher merging of the two c-and-z models' trunks.
        var files: [String] = []
        for keep in ["last", "best"] {
            let model = (try json(folder.appendingPathComponent("ft-\(keep)/finetune.json"))["models"] as! [[String: Any]])[0]
            let weights = folder.appendingPathComponent("ft-\(keep)").appendingPathComponent(model["file"] as! String).path
            let fisherFile = folder.appendingPathComponent("fisher-\(keep).safetensors").path
            let fisher = try MTK.run(["fisher", weights, "--csv", fixture.csv.path, "--tasks", "c", "--examples", "50", "-o", fisherFile], in: folder)
            #expect(fisher.status == 0 && fisher.output.contains("log tr F ="), "\(fisher.output)")
            files += [weights, fisherFile]
            let over = try MTK.run(["fisher", weights, "--csv", fixture.csv.path, "--tasks", "c", "-o", weights], in: folder)
            #expect(over.status != 0 && over.output.contains("overwrite"), "\(over.output)")
            let twice = try MTK.run(["fisher", weights, "--csv", fixture.csv.path, "--tasks", "c", "--fisher-tasks", "c,c"], in: folder)
            #expect(twice.status != 0 && twice.output.contains("twice"), "\(twice.output)")
            let asWeights = try MTK.run(["eval", fisherFile, "--csv", fixture.csv.path, "--tasks", "c", "--model", fixture.spec.path], in: folder)
            #expect(asWeights.status != 0 && asWeights.output.contains("Fisher diagonal"), "\(asWeights.output)")
        }
        let config = folder.appendingPathComponent("fisher.yaml")
        try """
            merge_method: fisher
            models:
              - {model: \(files[0]), parameters: {weight: 1, fisher: \(files[1])}}
              - {model: \(files[2]), parameters: {weight: 1, fisher: \(files[3])}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let merged = try MTK.run(["merge", config.path, "-o", folder.appendingPathComponent("merged").path], in: folder)
        #expect(merged.status == 0, "\(merged.output)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("merged/model.safetensors").path))
    }

    /// Bad finetune requests fail before any directory exists; a pretrained file whose contents
    /// change is a new study (its models retrain), and task vectors against it are refused.
    @Test func finetuneChecksItsRequestsAndItsStartingWeights() throws {
        let fixture = try TabularFixture(rows: 160, thirdTask: true)
        defer { fixture.remove() }
        let folder = fixture.folder
        let data = ["--csv", fixture.csv.path, "--model", fixture.spec.path]
        for (seed, name) in [("3", "a"), ("4", "b")] {
            let pre = try MTK.run(["train"] + data + ["--tasks", "y", "--epochs", "1", "--batch-size", "16", "--seed", seed, "-o", folder.appendingPathComponent(name).path], in: folder)
            #expect(pre.status == 0, "\(pre.output)")
        }
        let initFile = folder.appendingPathComponent("init.safetensors")
        try FileManager.default.copyItem(at: folder.appendingPathComponent("a/best.safetensors"), to: initFile)
        let out = folder.appendingPathComponent("ft").path
        let finetune = ["finetune"] + data + ["--tasks", "c,z", "--epochs", "1", "--init", initFile.path, "-o", out] + Self.settings
        for (extra, message) in [(["--sets", "c,c"], "given twice"), (["--sets", "c+z,z+c"], "given twice"), (["--sets", "c+c"], "names a task twice"),
                                 (["--sets", "c,w"], "task 'w'"), (["--selection", "c.accuracy"], "does not learn"), (["--keep", "fisher", "--selection", "c.accuracy"], "--keep fisher")] {
            let bad = try MTK.run(finetune + extra, in: folder)
            #expect(bad.status != 0 && bad.output.contains(message) && !bad.output.contains("epoch 1"), "\(extra): \(bad.output)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(extra) left \(out) behind")
        }
        let first = try MTK.run(finetune, in: folder)
        #expect(first.status == 0 && first.output.contains("epoch 1 done"), "\(first.output)")
        let again = try MTK.run(finetune, in: folder)
        #expect(again.status == 0 && !again.output.contains("epoch 1 done"), "cached: \(again.output)")
        // Other weights at the same path: task vectors refuse, and finetune trains anew.
        try FileManager.default.removeItem(at: initFile)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("b/best.safetensors"), to: initFile)
        let stale = try MTK.run(["task-vectors", out, "--alphas", "0:1:1"], in: folder)
        #expect(stale.status != 0 && stale.output.contains("no longer holds"), "\(stale.output)")
        let retrained = try MTK.run(finetune, in: folder)
        #expect(retrained.status == 0 && retrained.output.contains("epoch 1 done"), "\(retrained.output)")
        // A Fisher written through a symlink to the run directory it measures is refused.
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link"), withDestinationURL: folder.appendingPathComponent("a"))
        let sneaky = try MTK.run(["fisher", folder.appendingPathComponent("a").path, "--csv", fixture.csv.path, "-o", folder.appendingPathComponent("link/f.safetensors").path], in: folder)
        #expect(sneaky.status != 0 && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("a/f.safetensors").path), "\(sneaky.output)")
    }

    /// A bad config or shard size fails with the key named, and leaves no output behind.
    @Test func mergeRefusesBeforeWriting() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("bad.yaml")
        try "merge_method: ties\nbase_model: \(folder.path)/none.safetensors\nmodels: [{model: \(folder.path)/none.safetensors, parameters: {weight: 1, density: 2}}]\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out")
        let bad = try MTK.run(["merge", config.path, "-o", out.path], in: folder)
        #expect(bad.status != 0 && bad.output.contains("models[0].parameters.density") && !bad.signalled, "\(bad.output)")
        let shard = try MTK.run(["merge", config.path, "-o", out.path, "--out-shard-size", "0"], in: folder)
        #expect(shard.status != 0 && shard.output.contains("--out-shard-size"), "\(shard.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["bad.yaml"])
    }
}
