import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Reports
import Testing

/// The report's SVG charts: well-formed, escaped, deterministic, and showing what they claim.
@Suite("Charts")
struct ChartTests {
    /// Parses `svg` as XML and returns the text of every element named `name`.
    func texts(_ svg: String, _ name: String) throws -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            let name: String
            var inside = false, current = "", found: [String] = [], counts: [String: Int] = [:]
            init(_ name: String) { self.name = name }
            func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                counts[element, default: 0] += 1
                if element == name { (inside, current) = (true, "") }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { if inside { current += string } }
            func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
                if element == name { found.append(current); inside = false }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector(name)
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        return collector.found
    }

    func count(_ svg: String, _ element: String) -> Int { svg.components(separatedBy: "<\(element) ").count - 1 }

    @Test func heatmapShowsEveryValueEscapedAndOriented() throws {
        let map = Heatmap(title: "TAG <lookahead> & co", labels: ["a<b", "c&d", "e"], values: [[1, -0.5, .nan], [0.25, 1, 0], [0, 0.125, 1]],
                          orientation: "row = source, column = target")
        let svg = map.svg
        let text = try texts(svg, "text")
        #expect(text.contains("TAG <lookahead> & co") && text.contains("a<b") && text.contains("c&d"))
        #expect(text.contains("-0.500") && text.contains("0.125") && text.contains("–"), "every value printed, NaN as a dash")
        #expect(text.contains("row = source, column = target"))
        #expect(count(svg, "rect") == 9)
        #expect(svg.contains("fill=\"#dddddd\""), "NaN is grey")
        #expect(map.svg == svg, "deterministic")
        #expect(try texts(svg, "title") == ["TAG <lookahead> & co"])
    }

    @Test func lineChartAxesLegendReferenceAndGaps() throws {
        let chart = LineChart(title: "τ_class", xLabel: "α", yLabel: "normalised metric",
                              series: [.init(name: "class", points: [(0, 0.5), (0.5, 0.9), (1, 1)]),
                                       .init(name: "upper", points: [(0, 0.4), (0.5, .nan), (1, 0.6)])], reference: 1)
        let svg = chart.svg
        let text = try texts(svg, "text")
        #expect(text.contains("class") && text.contains("upper") && text.contains("α") && text.contains("normalised metric"))
        #expect(count(svg, "polyline") == 3, "the NaN splits the second series into two runs")
        #expect(svg.contains("stroke-dasharray"), "the reference line")
        #expect(LineChart.ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(LineChart.ticks(0.37, 12.4) == [2, 4, 6, 8, 10, 12])
        #expect(LineChart.label(0.2) == "0.2" && LineChart.label(3) == "3")
        #expect(chart.svg == svg)
    }

    @Test func lineChartMarkersShowSinglePoints() throws {
        var chart = LineChart(title: "gap", xLabel: "budget", yLabel: "%", series: [.init(name: "optimum", points: [(2, 0)]), .init(name: "tag", points: [(2, 1.5), (3, .nan)])])
        #expect(count(chart.svg, "circle") == 0)
        chart.markers = true
        let svg = chart.svg
        _ = try texts(svg, "text")
        #expect(count(svg, "circle") == 2, "one dot per finite point, none for NaN")
    }
}
