import ArgumentParser
import Foundation
import MultiTask

/// `mtk group`: choose which tasks to train together within a budget.
struct Group: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose task groups (networks) within a budget from affinities, Standley's losses or a table of candidate groups.",
        discussion: "Each task is served by its best chosen group; the objective is the mean (or sum) of the served scores. Exact (branch and bound).")

    @Option(help: "An affinity matrix (mtk affinity's JSON or CSV): every group scored by mean affinity onto each member.") var affinity: String?
    @Option(help: "Standley et al.'s tab-separated loss file (line 1: half-size single-task networks, cost 0.5).") var standley: String?
    @Option(help: "A CSV table: header of task names (optional 'cost' column), one candidate group per row, empty cell = not a member.") var table: String?
    @Option(help: "Task names for --standley's columns, comma-separated [task1, task2, ...].") var taskNames: String?
    @Flag(help: "With --standley: score groups of 3+ by Standley's higher-order approximation from the pairs.") var hoa = false
    @Option(parsing: .unconditional, help: "At most this many groups.") var maxGroups: Int?
    @Option(parsing: .unconditional, help: "At most this total cost (a full-size network costs 1).") var budget: Double?
    @Option(help: "Cost model: standley (half-size single-task networks 0.5, others 1; budgets in steps of 0.5).") var costModel: String?
    @Flag(help: "Scores are losses or errors (lower is better); --standley always is.") var lowerIsBetter = false
    @Flag(help: "Chosen groups must not overlap (every task in exactly one).") var partition = false
    @Flag(help: "Objective: the sum over tasks instead of the mean.") var sum = false
    @Option(parsing: .unconditional, help: "With --affinity: single-task groups score this (default: not allowed; with --lower-is-better, the diagonal).") var singletonScore: Double?
    @Option(parsing: .unconditional, help: "With --affinity: the largest group considered [all sizes].") var largestGroup: Int?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let given = [affinity, standley, table].compactMap { $0 }
        guard given.count == 1 else { throw ValidationError("give exactly one of --affinity, --standley, --table") }
        if let costModel, costModel != "standley" { throw ValidationError("--cost-model must be standley, got '\(costModel)'") }
        // Options of another input would do nothing: errors, not no-ops.
        let input = affinity != nil ? "--affinity" : standley != nil ? "--standley" : "--table"
        for (option, given, appliesTo) in [("--hoa", hoa, "--standley"), ("--task-names", taskNames != nil, "--standley"),
                                           ("--singleton-score", singletonScore != nil, "--affinity"), ("--largest-group", largestGroup != nil, "--affinity")]
        where given && input != appliesTo {
            throw ValidationError("\(option) applies to \(appliesTo), not to \(input)")
        }
        let source: GroupingRequest.Source
        if let affinity { source = .affinity(URL(fileURLWithPath: affinity)) } else if let standley {
            source = .standley(URL(fileURLWithPath: standley), tasks: taskNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }, hoa: hoa)
        } else { source = .table(URL(fileURLWithPath: table!)) }
        var request = GroupingRequest(source: source)
        (request.maxGroups, request.budget, request.standleyCosts) = (maxGroups, budget, costModel == "standley")
        (request.lowerIsBetter, request.partition, request.aggregate) = (lowerIsBetter, partition, sum ? .sum : .mean)
        (request.singletons, request.largestGroup) = (singletonScore.map { .score($0) }, largestGroup)
        let problem = try request.problem()
        let selection = try NetworkSelection.solve(problem)
        if json {
            FileHandle.standardOutput.write(try GroupingRequest.json(selection, in: problem) + Data("\n".utf8))
        } else {
            print(GroupingRequest.report(selection, in: problem))
        }
    }
}
