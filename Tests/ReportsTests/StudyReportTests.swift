import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import MultiTask
@testable import Reports
import Testing

/// The study report: every number traceable to results.json, sections only for data present,
/// text escaped, the same bytes for the same results, and both files written.
@Suite("Study report")
struct StudyReportTests {
    /// The value of attribute `name` (FoundationXML's attribute(forName:) misses them in the XHTML namespace).
    func attribute(_ node: XMLNode, _ name: String) -> String? {
        (node as? XMLElement)?.attributes?.first { $0.name == name }?.stringValue
    }

    func document(_ html: String) throws -> XMLDocument { try XMLDocument(data: Data(html.utf8), options: []) }

    /// Elements named `name`, whatever their namespace (XHTML's default one included).
    func elements(_ doc: XMLDocument, _ name: String) throws -> [XMLNode] { try doc.nodes(forXPath: "//*[local-name()='\(name)']") }

    /// The value at `path` (`a.b[2]["c.d"]`) in decoded JSON.
    func resolve(_ path: String, in json: Any) -> Any? {
        var value: Any? = json, rest = Substring(path)
        while !rest.isEmpty {
            if rest.hasPrefix("[\"") {
                var key = "", i = rest.index(rest.startIndex, offsetBy: 2)
                while rest[i] != "\"" {
                    if rest[i] == "\\" { i = rest.index(after: i) }
                    key.append(rest[i]); i = rest.index(after: i)
                }
                rest = rest[rest.index(i, offsetBy: 2)...]
                value = (value as? [String: Any])?[key]
            } else if rest.hasPrefix("[") {
                let end = rest.firstIndex(of: "]")!
                guard let index = Int(rest[rest.index(after: rest.startIndex)..<end]), let array = value as? [Any], array.indices.contains(index) else { return nil }
                value = array[index]
                rest = rest[rest.index(after: end)...]
            } else {
                if rest.hasPrefix(".") { rest = rest.dropFirst() }
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                value = (value as? [String: Any])?[String(rest[..<end])]
                rest = rest[end...]
            }
        }
        return value
    }

    /// A JSON number, or RunJSON's spelling of a non-finite one.
    func number(_ value: Any?) -> Double? {
        switch value {
        case let string as String: ["nan": .nan, "inf": .infinity, "-inf": -.infinity][string]
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }

    /// Every string (and object key) in decoded JSON.
    func strings(_ json: Any) -> [String] {
        switch json {
        case let string as String: [string]
        case let array as [Any]: array.flatMap(strings)
        case let object as [String: Any]: object.keys + object.values.flatMap(strings)
        default: []
        }
    }

    @Test func everyNumberEqualsResultsJSON() throws {
        let results = try StudyFixture.results()
        let data = try RunJSON.encoder().encode(results)
        let json = try JSONSerialization.jsonObject(with: data)
        let html = StudyReport.html(results)
        let doc = try document(html)
        let numbers = try doc.nodes(forXPath: "//*[@data-path]").compactMap { $0 as? XMLElement }
        #expect(numbers.count > 200, "the fixture shows many numbers, found \(numbers.count)")
        var paths = Set<String>()
        for element in numbers {
            let path = try #require(attribute(element, "data-path"))
            let kind = try #require(attribute(element, "data-kind").flatMap(NumberKind.init(rawValue:)), "\(path) has no kind")
            let value = try #require(number(resolve(path, in: json)), "\(path) is not a number in results.json")
            #expect(element.stringValue == NumberFormat.text(value, kind), "\(path): shows \(element.stringValue ?? "") for \(value)")
            paths.insert(path)
        }
        for expected in ["baselines[0].test.tasks[0].metrics[0].value", "multitask[1].deltaM.improvement", "multitask[0].deltaM.perMetric[\"depth.mae\"]",
                         "multitask[0].testLoss", "affinity[0].values[0][0]", "affinity[1].values[2][1]", "grouping.evaluation.budgets[0].rows[2].gapPercent",
                         "grouping.evaluation.estimators[1].rankCorrelation", "groundTruth.truth.networks[6].validation.tasks[2].loss",
                         "taskVectors.norms[2]", "taskVectors.cosine.values[0][1]", "taskVectors.chosenAlpha", "sweep.trials[1].validationScore",
                         "timings[1].seconds", "recommendations[1].deltaM"] {
            #expect(paths.contains(expected), "\(expected) is shown")
        }
        #expect(html.contains("n/a"), "the tag matrix's NaN diagonal")

        // No digit outside the number spans, charts, code and the study file, once the results' own strings are set aside.
        let visible = try doc.nodes(forXPath: "//*[local-name()='body']//text()[not(ancestor::*[local-name()='svg' or local-name()='pre' or local-name()='code' or local-name()='cite' or @data-path])]")
        var text = visible.compactMap(\.stringValue).joined(separator: " ")
        #expect(text.contains("Per-task test metrics") && text.contains("single-task"), "the page's own text is checked")
        for string in Set(strings(json)).sorted(by: { $0.count > $1.count }) where !string.isEmpty { text = text.replacingOccurrences(of: string, with: " ") }
        #expect(!text.contains { $0.isASCII && $0.isNumber }, "a number shown without its path: \(text.filter { $0.isNumber }.prefix(40))")

        // Self-contained: no script, nothing fetched.
        #expect(!html.lowercased().contains("<script"))
        let links = html.replacingOccurrences(of: "http://www.w3.org/1999/xhtml", with: "").replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!links.contains("http://") && !links.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("<img") && !html.contains("@import") && !html.contains("url("))

        let headings = try elements(doc, "h2").compactMap(\.stringValue)
        #expect(headings == ["Recommended grouping", "Tasks", "Per-task test metrics", "Method comparison", "Training curves", "Task affinity",
                             "Grouping against budget", "Ground truth", "Task vectors", "Pruning", "Hyper-parameter sweep", "Timings", "Configuration"])
        #expect(try elements(doc, "svg").count == 3 + 2 + 1 + 1 + 3 + 1 + 1, "curves per task, heatmaps, grouping, cosine, sweeps, addition, merge methods")
    }

    @Test func chartsAndTablesFollowTheStudyTaskOrderAndOrientation() throws {
        let html = StudyReport.html(try StudyFixture.results())
        // tag's own order is depth, segment, edges: shown as segment, edges, depth.
        let first = try #require(html.range(of: "data-path=\"affinity[0].values[1][1]\"")), depth = try #require(html.range(of: "data-path=\"affinity[0].values[0][0]\""))
        #expect(first.lowerBound < depth.lowerBound)
        #expect(html.contains("row = source task, column = target task") && html.contains("row = target task, column = source task"))
        #expect(html.contains("lower is better"))
        #expect(html.contains("@media print") && html.contains("break-inside: avoid") && html.contains("max-width: 100%"))
    }

    @Test func sectionsWithoutDataAreLeftOut() throws {
        let results = StudyResults(name: "empty", description: nil, version: "v", configYAML: "name: empty\n", tasks: [.init(name: "a", kind: "binary")])
        let html = StudyReport.html(results)
        let doc = try document(html)
        #expect(try elements(doc, "h2").compactMap(\.stringValue) == ["Tasks", "Configuration"])
        #expect(try elements(doc, "svg").isEmpty && doc.nodes(forXPath: "//*[@data-path]").isEmpty)
        #expect(html.contains("has not finished"))
        let markdown = StudyReport.markdown(results)
        #expect(!markdown.contains("## ") && markdown.contains("# empty"))

        // A grouping without ground truth: the estimators' choices instead of the chart.
        var choices = results
        choices.grouping = .init(evaluation: nil, choices: [.init(estimator: "tag", maxGroups: 1, groups: [["a"]], validationLoss: 0.5, testLoss: nil, deltaM: nil)])
        let grouped = try document(StudyReport.html(choices))
        #expect(try elements(grouped, "h2").compactMap(\.stringValue) == ["Tasks", "Grouping against budget", "Configuration"])
        #expect(try elements(grouped, "svg").isEmpty)
        #expect(try grouped.nodes(forXPath: "//*[@data-path]").compactMap { attribute($0, "data-path") }
                == ["grouping.choices[0].maxGroups", "grouping.choices[0].validationLoss"])

        // A sweep whose every trial failed is said, with why, not left out.
        var failed = results
        failed.sweep = .init(search: "grid", select: "a.accuracy", higherIsBetter: true, trials: [],
                             failed: [.init(settings: ["lr": "1e6"], reason: "task a's loss is not finite at epoch 1, step 3")])
        let swept = try document(StudyReport.html(failed))
        #expect(try elements(swept, "h2").compactMap(\.stringValue) == ["Tasks", "Hyper-parameter sweep", "Configuration"])
        #expect(StudyReport.html(failed).contains("Every trial failed") && StudyReport.markdown(failed).contains("Every trial failed, so none is ranked"))
        #expect(failed.closing(directory: URL(fileURLWithPath: "/r")).contains("Sweep: all 1 trials failed"))
    }

    /// Test metrics over a handful of labels are said to be noise.
    @Test func fewTestLabelsAreNoted() throws {
        var results = try StudyFixture.results()
        #expect(!StudyReport.html(results).contains("fewer than ten labelled examples"))
        let task = results.tasks[0].name
        for b in (results.baselines ?? []).indices {
            for t in results.baselines![b].test.tasks.indices where results.baselines![b].test.tasks[t].task == task { results.baselines![b].test.tasks[t].labelled = 3 }
        }
        #expect(StudyReport.html(results).contains("fewer than ten labelled examples of \(task): those metrics are mostly noise"))
    }

    @Test func textFromResultsIsEscaped() throws {
        var results = try StudyFixture.results()
        results.name = "A<B> & \"C\""
        results.description = "<script>alert('x')</script> & more"
        results.tasks[0].name = "seg<ment>"
        let html = StudyReport.html(results)
        let doc = try document(html)
        #expect(!html.lowercased().contains("<script"))
        #expect(try elements(doc, "h1").first?.stringValue == "A<B> & \"C\"")
        #expect(try elements(doc, "pre").first?.stringValue == results.configYAML, "the study file verbatim")
        #expect(try elements(doc, "p").contains { $0.stringValue == "<script>alert('x')</script> & more" })
        #expect(try elements(doc, "td").contains { $0.stringValue == "seg<ment>" } || elements(doc, "th").contains { $0.stringValue == "seg<ment>" })
    }

    @Test func renderingIsDeterministic() throws {
        let results = try StudyFixture.results()
        // A decoded copy has dictionaries of its own (their order is not the original's).
        let copy = try RunJSON.decoder().decode(StudyResults.self, from: RunJSON.encoder().encode(results))
        #expect(StudyReport.html(results) == StudyReport.html(copy))
        #expect(StudyReport.markdown(results) == StudyReport.markdown(copy))
    }

    @Test func markdownSummary() throws {
        let results = try StudyFixture.results()
        let markdown = StudyReport.markdown(results)
        for heading in ["# Study of segment & edges", "## Recommended grouping", "## Test metrics", "## Affinity: tag", "## Affinity: pairwise",
                        "## Grouping against budget", "### At most 2 networks", "## Timings"] {
            #expect(markdown.contains(heading + "\n"), "\(heading)")
        }
        let improvement = try #require(results.multitask?[0].deltaM?.improvement)
        #expect(markdown.contains("**\(NumberFormat.text(improvement, .percent))**"))
        #expect(markdown.contains("| segment | n/a |"), "the tag matrix in the study's task order, NaN as n/a")
    }

    /// Writes the fixture's report where REPORT_PREVIEW points, to look at in a browser.
    @Test func preview() throws {
        guard let path = ProcessInfo.processInfo.environment["REPORT_PREVIEW"] else { return }
        try StudyReport.write(try StudyFixture.results(), to: URL(fileURLWithPath: path))
    }

    @Test func writesBothFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let results = try StudyFixture.results()
        try StudyReport.write(results, to: directory)
        #expect(try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8) == StudyReport.html(results))
        #expect(try String(contentsOf: directory.appendingPathComponent("summary.md"), encoding: .utf8) == StudyReport.markdown(results))
    }
}
