import Foundation
import Testing
import TestSupport

/// `mtk group` as a user meets it.
@Suite("mtk group")
struct GroupCommandTests {
    /// Standley's setting 1 with HOA at budget 3 chooses the published networks.
    @Test func choosesStandleysPublishedGroups() throws {
        let file = try PublishedFixtures.file("standley/standley_results.txt")
        let outcome = try MTK.run(["group", "--standley", file.path, "--task-names", "s,d,n,k,t", "--hoa", "--budget", "3", "--cost-model", "standley", "--json"],
                                  in: FileManager.default.temporaryDirectory)
        #expect(outcome.status == 0, "\(outcome.output)")
        let report = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any]
        #expect(Set((report?["groups"] as? [[String]] ?? []).map { $0.joined() }) == ["t", "sn", "dnk"] && report?["cost"] as? Double == 3)
    }

    @Test(arguments: [([String](), "give exactly one of --affinity, --standley, --table"),
                      (["--table", "t.csv"], "give a budget"),
                      (["--table", "missing.csv", "--max-groups", "2"], "missing.csv: no such file"),
                      (["--table", "t.csv", "--budget", "1.25", "--cost-model", "standley"], "steps of 0.5"),
                      (["--table", "t.csv", "--max-groups", "1"], "no choice of groups within at most 1 groups serves every task"),
                      (["--table", "bad.csv", "--max-groups", "2"], "bad.csv, line 3, column 'b': 'x' is not a finite number"),
                      (["--table", "t.csv", "--max-groups", "2", "--hoa"], "--hoa applies to --standley, not to --table"),
                      (["--table", "t.csv", "--max-groups", "2", "--singleton-score", "1"], "--singleton-score applies to --affinity, not to --table")])
    func badRequestsAreNamed(arguments: [String], message: String) throws {
        let folder = try TemporaryDirectory()
        try Data("a,b\n1,\n,2\n".utf8).write(to: folder.file("t.csv"))
        try Data("a,b\n1,\n,x\n".utf8).write(to: folder.file("bad.csv"))
        let outcome = try MTK.run(["group"] + arguments.map { $0.hasSuffix(".csv") ? folder.file($0).path : $0 }, in: folder.url)
        #expect(outcome.status != 0 && outcome.output.contains(message), "\(outcome.output)")
    }
}

extension GroupCommandTests {
    /// Tables written on Windows (CRLF line ends) read as any other.
    @Test func crlfTablesRead() throws {
        let folder = try TemporaryDirectory()
        try Data("a,b\r\n1,2\r\n,3\r\n".utf8).write(to: folder.file("t.csv"))
        let outcome = try MTK.run(["group", "--table", folder.file("t.csv").path, "--max-groups", "2", "--json"], in: folder.url)
        #expect(outcome.status == 0 && outcome.output.contains("\"objective\" : 2,"), "\(outcome.output)")
    }
}
