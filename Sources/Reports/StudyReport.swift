import Files
import Foundation
import MultiTask

/// A study's report: `report.html`, one self-contained page (inline style and SVG charts, no
/// scripts, nothing fetched) to read, print or put in an appendix, and `summary.md`, the short
/// version. Each section appears only when the study produced its data; every number on the page
/// carries the JSON path of its value in `results.json`.
public enum StudyReport {
    /// The whole page, as XHTML that HTML browsers read too. The same results give the same bytes.
    public static func html(_ results: StudyResults) -> String {
        let sections: [String?] = [
            header(results),
            ReportTables.metrics(results),
            ReportTables.methods(results),
            ReportCharts.curves(results),
            ReportCharts.affinity(results),
            ReportCharts.grouping(results),
            ReportTables.groundTruth(results),
            ReportCharts.taskVectors(results),
            ReportTables.pruning(results),
            ReportTables.sweep(results),
            ReportTables.timings(results),
            configuration(results),
        ]
        return """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(HTML.text(results.name)) — study report</title>
        <style>
        \(ReportStyle.css)
        </style>
        </head>
        <body>
        <main>
        \(sections.compactMap { $0 }.joined(separator: "\n"))
        </main>
        </body>
        </html>

        """
    }

    /// The short Markdown summary.
    public static func markdown(_ results: StudyResults) -> String { ReportMarkdown.render(results) }

    /// Writes `report.html` and `summary.md` into `directory`, each all-or-nothing.
    public static func write(_ results: StudyResults, to directory: URL) throws {
        try AtomicWrite.write(Data(html(results).utf8), to: directory.appendingPathComponent("report.html"))
        try AtomicWrite.write(Data(markdown(results).utf8), to: directory.appendingPathComponent("summary.md"))
    }

    /// Name, description, the recommended grouping per budget, and the tasks.
    static func header(_ results: StudyResults) -> String {
        var out = "<header>\n<h1>\(HTML.text(results.name))</h1>\n"
        if let description = results.description, !description.isEmpty { out += "<p class=\"lead\">\(HTML.text(description))</p>\n" }
        if !results.complete { out += "<p class=\"caption\">The study has not finished: sections of steps still to run are missing.</p>\n" }
        out += "</header>\n"
        if let recommendations = results.recommendations, !recommendations.isEmpty {
            let rows = recommendations.enumerated().map { i, r -> [HTML.Cell] in
                let path = "recommendations[\(i)]"
                return [.raw(NumberFormat.html(r.maxGroups, "\(path).maxGroups")), .raw(HTML.groups(r.groups), numeric: false), .text(r.source),
                        .raw(NumberFormat.html(r.testLoss, .value, "\(path).testLoss")), .raw(NumberFormat.html(r.deltaM, .percent, "\(path).deltaM"))]
            }
            out += "<div class=\"recommendation\">\n<h2>Recommended grouping</h2>\n"
            out += HTML.table(["at most networks", "groups to train", "source", "mean test loss", "Δm%"], rows)
            var note = "For each budget (the largest number of networks to train), the groups of tasks to train together. Groups may overlap, as in Standley et al.'s network selection: "
                + "a task in two groups is taken from the network that does it better on validation. Δm% is the mean relative change of the test metrics against one network per task; positive is better."
            // The optimum is chosen on validation; an estimator may beat it on test by chance.
            let beaten = results.grouping?.evaluation?.budgets.contains { budget in
                budget.rows.first?.name == "optimum" && budget.rows.dropFirst().contains { row in
                    results.grouping!.evaluation!.estimators.contains { $0.name == row.name } && row.testLoss < budget.rows[0].testLoss
                }
            } ?? false
            if beaten {
                note += " The optimum is chosen on validation, as any grouping must be; where an estimator's groups scored better on test (a negative gap under Grouping against budget), "
                    + "the difference is of the size of the noise between training runs: compare the spread of the random groupings."
            }
            out += HTML.caption(HTML.text(note))
            out += "</div>\n"
        }
        let tasks = results.tasks.map { [HTML.Cell.text($0.name), .text($0.kind)] }
        out += HTML.section("tasks", "Tasks", HTML.table(["task", "kind"], tasks))
        return out
    }

    /// The mtk version and the study file exactly as run.
    static func configuration(_ results: StudyResults) -> String {
        HTML.section("configuration", "Configuration",
                     "<p>Run with <code>\(HTML.text(results.version))</code>, from this study file:</p>\n<pre>\(HTML.text(results.configYAML))</pre>\n")
    }
}
