import Foundation
import Testing
import TestSupport

/// `mtk run` as a user runs it: a study killed (SIGKILL) at seeded points and run again until it
/// finishes gives the uninterrupted study's results; the report and summary are written; a bad
/// config is refused with its line before anything is made; `mtk runs list` and `compare`.
@Suite("mtk run")
struct RunCommandTests {
    static func study(_ fixture: TabularFixture) -> String {
        """
        name: tab
        data: {csv: table.csv, train_examples: 160}
        model: tabular.yaml
        training: {epochs: 2, batch_size: 16, seed: 3, threads: 1}
        steps:
          baselines: true
          multitask: [equal, uw]
          ground_truth: true
          affinity: {estimators: [tag, cosine, pairwise], every: 2}
          grouping: {budgets: [1, 2]}
        """
    }


    @Test func killedStudiesResumeToTheSameResults() throws {
        let fixture = try TabularFixture(rows: 240, thirdTask: true)
        defer { fixture.remove() }
        let file = fixture.folder.appendingPathComponent("study.yaml")
        try Self.study(fixture).write(to: file, atomically: true, encoding: .utf8)
        let straight = fixture.folder.appendingPathComponent("runs/straight")
        // --check: the plan, nothing made.
        let check = try MTK.run(["run", file.path, "-o", straight.path, "--check"], in: fixture.folder)
        #expect(check.status == 0 && check.output.contains("study 'tab' is valid") && check.output.contains("3. ground truth (7 networks)"), "\(check.output)")
        #expect(!FileManager.default.fileExists(atPath: straight.path))
        let one = try MTK.run(["run", file.path, "-o", straight.path], in: fixture.folder)
        #expect(one.status == 0, "\(one.output)")
        #expect(one.output.contains("Recommended grouping:") && one.output.contains("Report: \(straight.path)/report.html"), "\(one.output)")
        for name in ["study.yaml", "study.json", "results.json", "summary.md", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: straight.appendingPathComponent(name).path), "\(name)")
        }
        let html = try String(contentsOf: straight.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Recommended grouping") && html.contains("<svg") && !html.contains("<script"))

        let killed = fixture.folder.appendingPathComponent("runs/killed")
        let log = fixture.folder.appendingPathComponent("kill.log")
        let loop = KillLoop(seed: 11, lines: 20)
        let (kills, finished) = try loop.run(log: log, counts: { $0.hasPrefix("study [") || $0.hasPrefix("epoch") }) { ["run", file.path, "-o", killed.path] }
        #expect(finished && kills >= 5, "kills \(kills)")
        #expect(try timelessJSON(Data(contentsOf: killed.appendingPathComponent("results.json"))) == timelessJSON(Data(contentsOf: straight.appendingPathComponent("results.json"))))

        let checked = try MTK.run(["run", file.path, "-o", straight.path, "--check"], in: fixture.folder)
        #expect(checked.status == 0 && checked.output.contains("(done)"), "\(checked.output)")
        // Run again: nothing is trained; the same closing message.
        let again = try MTK.run(["run", file.path, "-o", straight.path], in: fixture.folder)
        #expect(again.status == 0 && !again.output.contains("training") && again.output.contains("Recommended grouping:"), "\(again.output)")

        let list = try MTK.run(["runs", "list", fixture.folder.appendingPathComponent("runs").path], in: fixture.folder)
        #expect(list.status == 0 && list.output.components(separatedBy: "| tab | complete |").count == 3, "\(list.output)")
        let compare = try MTK.run(["runs", "compare", straight.path, killed.path], in: fixture.folder)
        #expect(compare.status == 0 && compare.output.contains("The configs are the same") && compare.output.contains("| equal | y |"), "\(compare.output)")
    }

    @Test func badStudiesAreRefusedWithTheirLine() throws {
        let fixture = try TabularFixture(rows: 60)
        defer { fixture.remove() }
        let file = fixture.folder.appendingPathComponent("bad.yaml")
        try "name: bad\ndata: {csv: table.csv}\nmodel: tabular.yaml\nsteps:\n  grouping: {budgets: [1, 2]}\n  affinity: {estimators: [tag, ouija]}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let outcome = try MTK.run(["run", file.path], in: fixture.folder)
        #expect(outcome.status != 0 && outcome.output.contains("\(file.path):6: steps.affinity.estimators[1]: unknown estimator 'ouija'"), "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("runs").path))
        let missing = try MTK.run(["run", fixture.folder.appendingPathComponent("none.yaml").path], in: fixture.folder)
        #expect(missing.status != 0 && missing.output.contains("none.yaml: cannot read the study file (no such file)"), "\(missing.output)")
        let nothing = try MTK.run(["runs", "list", fixture.folder.appendingPathComponent("nowhere").path], in: fixture.folder)
        #expect(nothing.status != 0 && nothing.output.contains("nowhere: no such folder"), "\(nothing.output)")
    }

    /// A folder of MNIST-format IDX files (raw): `count` seeded 28×28 images per split, labels 0...9.
    static func idxFolder(_ folder: URL, train: Int, test: Int) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var state: UInt64 = 12345
        func byte() -> UInt8 { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(truncatingIfNeeded: state >> 56) }
        func header(_ magic: UInt32, _ dims: [Int]) -> [UInt8] {
            ([magic] + dims.map(UInt32.init)).flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        }
        for (prefix, count) in [("train", train), ("t10k", test)] {
            let labels = (0..<count).map { UInt8($0 % 10) }
            let pixels = (0..<count * 784).map { _ in byte() }
            try Data(header(0x0000_0803, [count, 28, 28]) + pixels).write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try Data(header(0x0000_0801, [count]) + labels).write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    /// The digit + parity study on a user's MNIST folder, given with --data-dir.
    @Test func digitParityOnAnotherFolder() throws {
        let fixture = try TabularFixture(rows: 10)
        defer { fixture.remove() }
        let mnist = fixture.folder.appendingPathComponent("mnist")
        try Self.idxFolder(mnist, train: 80, test: 30)
        let file = fixture.folder.appendingPathComponent("dp.yaml")
        try "name: dp\ndata: {suite: digit-parity, validation_fraction: 0.25}\nmodel: reference-cnn\ntraining: {epochs: 1, batch_size: 20, threads: 1}\nsteps: {baselines: true}\nsweep: {parameters: {loss_weights: [[1.0, 0.5], [0.5, 1.0]]}, select: digit.accuracy}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let output = fixture.folder.appendingPathComponent("out")
        let run = try MTK.run(["run", file.path, "--data-dir", mnist.path, "-o", output.path], in: fixture.folder)
        #expect(run.status == 0 && run.output.contains("Sweep: best of 2 trials on validation digit.accuracy"), "\(run.output)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("study.json"))) as! [String: Any]
        #expect((config["data"] as! [String: Any])["dataDirectory"] as? String == mnist.path)
        let missing = try MTK.run(["run", file.path, "--data-dir", fixture.folder.appendingPathComponent("nowhere").path, "-o", fixture.folder.appendingPathComponent("o2").path], in: fixture.folder)
        #expect(missing.status != 0 && missing.output.contains("--data-dir: \(fixture.folder.path)/nowhere is not a folder"), "\(missing.output)")
        let device = try MTK.run(["run", "/dev/null"], in: fixture.folder)
        #expect(device.status != 0 && device.output.contains("/dev/null: cannot read the study file (not a regular file (a character device))"), "\(device.output)")
    }
}
