import Foundation
import Testing

/// `mtk prune` and `mtk masks similarity` as a user runs them.
@Suite("mtk prune, masks")
struct PruneCommandTests {
    static let settings = ["--batch-size", "16", "--epochs", "2", "--seed", "3", "--threads", "1"]
    /// Masks score the model as it is: no training options.
    static let scoring = ["--batch-size", "16", "--seed", "3", "--threads", "1"]

    @Test func pruneTrainsResumesAndCompares() throws {
        let fixture = try TabularFixture(rows: 240, thirdTask: true)
        defer { fixture.remove() }
        let folder = fixture.folder
        let data = ["--csv", fixture.csv.path, "--model", fixture.spec.path]
        let dense = try MTK.run(fixture.train("dense", ["--threads", "1"]), in: folder)
        #expect(dense.status == 0, "\(dense.output)")
        // Refused before any work.
        for (extra, message) in [(["--method", "snip", "--sparsity", "1"], "sparsity must be in [0, 1)"), (["--method", "lottery", "--sparsity", "0.5"], "--method"),
                                 (["--method", "disparse-pt", "--sparsity", "0.5"], "--init"),
                                 (["--method", "snip", "--sparsity", "0.5", "--init", folder.appendingPathComponent("dense/best.safetensors").path], "disparse-pt"),
                                 (["--method", "snip", "--sparsity", "0.5", "--scope", "layer"], "--scope")] {
            let bad = try MTK.run(["prune"] + data + extra + Self.settings + ["-o", folder.appendingPathComponent("bad").path], in: folder)
            #expect(bad.status != 0 && bad.output.contains(message) && !bad.output.contains("epoch 1"), "\(extra): \(bad.output)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path))
        }
        // Stopped after 10 steps, resumed with mtk train: the same bytes as one uninterrupted run.
        let prune = ["prune"] + data + ["--method", "disparse-static", "--sparsity", "0.5", "--batches", "5", "--dense", folder.appendingPathComponent("dense").path] + Self.settings
        let straight = try MTK.run(prune + ["-o", folder.appendingPathComponent("straight").path], in: folder)
        #expect(straight.status == 0 && straight.output.contains("trunk sparsity") && straight.output.contains("Δm% against the dense run"), "\(straight.output)")
        let stopped = try MTK.run(prune + ["--max-steps", "10", "-o", folder.appendingPathComponent("stopped").path], in: folder)
        #expect(stopped.status == 0 && stopped.output.contains("mtk train --resume"), "\(stopped.output)")
        let resumed = try MTK.run(["train", "--resume", "-o", folder.appendingPathComponent("stopped").path], in: folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        for file in ["last.safetensors", "masks.safetensors"] {
            #expect(try Data(contentsOf: folder.appendingPathComponent("straight/\(file)")) == Data(contentsOf: folder.appendingPathComponent("stopped/\(file)")), "\(file)")
        }
        // Plain SNIP; a dense run of other tasks is refused before any work.
        let snip = try MTK.run(["prune"] + data + ["--method", "snip", "--sparsity", "0.6", "--batches", "5", "-o", folder.appendingPathComponent("snip").path] + Self.settings, in: folder)
        #expect(snip.status == 0 && snip.output.contains("prune: snip"), "\(snip.output)")
        let other = try MTK.run(["prune"] + data + ["--tasks", "y", "--method", "snip", "--sparsity", "0.6", "--dense", folder.appendingPathComponent("dense").path,
                                                     "-o", folder.appendingPathComponent("other").path] + Self.settings, in: folder)
        #expect(other.status != 0 && other.output.contains("compares the same tasks") && !other.output.contains("prune: snip"), "\(other.output)")
        let prunedAsDense = try MTK.run(["prune"] + data + ["--method", "snip", "--sparsity", "0.6", "--dense", folder.appendingPathComponent("snip").path,
                                                             "-o", folder.appendingPathComponent("other").path] + Self.settings, in: folder)
        #expect(prunedAsDense.status != 0 && prunedAsDense.output.contains("itself pruned"), "\(prunedAsDense.output)")
        // A directory that cannot take the run is refused before the scoring.
        try "x".write(to: folder.appendingPathComponent("afile"), atomically: true, encoding: .utf8)
        let onFile = try MTK.run(["prune"] + data + ["--method", "snip", "--sparsity", "0.6", "-o", folder.appendingPathComponent("afile").path] + Self.settings, in: folder)
        #expect(onFile.status != 0 && !onFile.output.contains("prune: snip"), "\(onFile.output)")
        // Dynamic masks: a stopped run resumed by mtk train gives the same bytes, masks included.
        let dynamic = ["prune"] + data + ["--method", "disparse-dynamic", "--sparsity", "0.6", "--batches", "3", "--update-every", "4", "--end-fraction", "0.5"] + Self.settings
        let whole = try MTK.run(dynamic + ["-o", folder.appendingPathComponent("dyn").path], in: folder)
        #expect(whole.status == 0, "\(whole.output)")
        let part = try MTK.run(dynamic + ["--max-steps", "9", "-o", folder.appendingPathComponent("dyn-stopped").path], in: folder)
        #expect(part.status == 0, "\(part.output)")
        let rest = try MTK.run(["train", "--resume", "-o", folder.appendingPathComponent("dyn-stopped").path], in: folder)
        #expect(rest.status == 0, "\(rest.output)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("dyn/last.safetensors")) == Data(contentsOf: folder.appendingPathComponent("dyn-stopped/last.safetensors")))
        let misplaced = try MTK.run(["prune"] + data + ["--method", "snip", "--sparsity", "0.6", "--update-every", "4", "-o", folder.appendingPathComponent("bad").path] + Self.settings, in: folder)
        #expect(misplaced.status != 0 && misplaced.output.contains("disparse-dynamic only"), "\(misplaced.output)")
        // Pruning a trained network.
        let pt = try MTK.run(["prune"] + data + ["--method", "disparse-pt", "--sparsity", "0.7", "--batches", "5", "--init", folder.appendingPathComponent("dense/best.safetensors").path,
                                                  "-o", folder.appendingPathComponent("pt").path] + Self.settings, in: folder)
        #expect(pt.status == 0 && pt.output.contains("trunk sparsity 70."), "\(pt.output)")
    }

    @Test func masksSimilarityFeedsGrouping() throws {
        let fixture = try TabularFixture(rows: 200, thirdTask: true)
        defer { fixture.remove() }
        let out = fixture.folder.appendingPathComponent("sim")
        let run = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--batches", "4", "--sparsity", "0.8", "-o", out.path] + Self.scoring,
                              in: fixture.folder)
        #expect(run.status == 0 && run.output.contains("Mask IoU"), "\(run.output)")
        for file in ["masks-iou.json", "masks-rank.json", "masks-similarity.md", "masks-similarity.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let grouped = try MTK.run(["group", "--affinity", out.appendingPathComponent("masks-iou.json").path, "--max-groups", "2"], in: fixture.folder)
        #expect(grouped.status == 0, "\(grouped.output)")
        let bad = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--sparsity", "1", "-o", out.path], in: fixture.folder)
        #expect(bad.status != 0 && bad.output.contains("--sparsity"), "\(bad.output)")
        let again = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--batches", "2", "-o", out.path], in: fixture.folder)
        #expect(again.status != 0 && again.output.contains("--overwrite"), "\(again.output)")
        let onFile = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--batches", "2", "-o", fixture.csv.path], in: fixture.folder)
        #expect(onFile.status != 0 && onFile.output.contains("that is a file"), "\(onFile.output)")
        // Replaced as one set with --overwrite; never a folder of other files; training options do nothing here.
        let replaced = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--batches", "2", "--overwrite", "-o", out.path] + Self.scoring, in: fixture.folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(replaced.status == 0 && files.count == 4, "\(replaced.output)")
        try Data("x".utf8).write(to: out.appendingPathComponent("mine.txt"))
        let foreign = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--batches", "2", "--overwrite", "-o", out.path], in: fixture.folder)
        #expect(foreign.status != 0 && foreign.output.contains("not replaced: it holds mine.txt, which is not part of an earlier mtk masks similarity result"), "\(foreign.output)")
        let training = try MTK.run(["masks", "similarity", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--epochs", "7", "--lr", "0.5", "-o", fixture.folder.appendingPathComponent("sim2").path], in: fixture.folder)
        #expect(training.status != 0 && training.output.contains("--lr, --epochs: mtk masks similarity scores the model as it is"), "\(training.output)")
        let snipRule = try MTK.run(["prune", "--csv", fixture.csv.path, "--model", fixture.spec.path, "--method", "snip", "--sparsity", "0.5", "--rule", "intersection", "-o", fixture.folder.appendingPathComponent("p").path], in: fixture.folder)
        #expect(snipRule.status != 0 && snipRule.output.contains("--rule combines per-task masks"), "\(snipRule.output)")
    }
}
