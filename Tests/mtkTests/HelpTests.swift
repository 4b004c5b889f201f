import Foundation
import Testing

/// Every subcommand's options parse: two option groups that both declare a flag (an option
/// group shared by commands) make ArgumentParser refuse the whole command at run time.
@Suite("mtk help")
struct HelpTests {
    @Test(arguments: ["train", "affinity", "groundtruth", "pairwise", "group", "evaluate-groupings", "finetune", "task-vectors", "fisher", "merge", "prune", "masks", "masks similarity", "groundtruth slurm", "groundtruth merge",
                      "eval", "model", "inspect", "bench", "demo", "doctor", "run", "runs", "runs list", "runs compare"])
    func subcommandParses(name: String) throws {
        let folder = FileManager.default.temporaryDirectory
        let outcome = try MTK.run(name.split(separator: " ").map(String.init) + ["--help"], in: folder)
        #expect(outcome.status == 0 && outcome.output.contains("USAGE: mtk \(name)"), "\(outcome.output.prefix(400))")
    }
}
