import ArgumentParser
import Foundation
import MultiTask

/// `mtk runs`: find and compare earlier studies.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find and compare the studies of mtk run.", subcommands: [List.self, Compare.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the studies in a folder (newest first): state, tasks, best Δm% and the recommended grouping.")
        @Argument(help: "The folder of run directories [runs].") var root = "runs"
        func run() throws {
            let entries = try StudyRuns.list(URL(fileURLWithPath: root))
            print(entries.isEmpty ? "no studies in \(root)" : StudyRuns.table(entries))
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare two studies: config differences, test metrics, Δm%, affinity agreement, recommendations.")
        @Argument(help: "A study's run directory.") var first: String
        @Argument(help: "Another study's run directory.") var second: String
        func run() throws {
            print(StudyRuns.compare(try StudyRuns.read(URL(fileURLWithPath: first)), try StudyRuns.read(URL(fileURLWithPath: second))))
        }
    }
}
