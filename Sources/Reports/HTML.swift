/// Small pieces of the report's markup, written as well-formed XHTML (every element closed, only
/// XML's own entities) so the page parses as XML as well as HTML.
enum HTML {
    /// Text from the results, escaped for element content and attribute values.
    static func text(_ text: String) -> String { SVG.escape(text) }

    /// A table cell's content and whether it holds a number (right-aligned).
    struct Cell {
        var html: String
        var numeric: Bool
        /// Plain text, escaped.
        static func text(_ text: String) -> Cell { Cell(html: HTML.text(text), numeric: false) }
        /// Markup already built (a number span, say).
        static func raw(_ html: String, numeric: Bool = true) -> Cell { Cell(html: html, numeric: numeric) }
    }

    /// A table with a header row; the first cell of each row is its header when `rowHeaders`.
    static func table(_ head: [String], _ rows: [[Cell]], rowHeaders: Bool = true) -> String {
        let numericColumns = head.indices.map { c in !rows.isEmpty && rows.allSatisfy { c < $0.count && $0[c].numeric } }
        let header = zip(head, numericColumns).map { title, numeric in "<th scope=\"col\"\(numeric ? " class=\"n\"" : "")>\(text(title))</th>" }.joined()
        let body = rows.map { row in
            "<tr>" + row.enumerated().map { c, cell in
                let tag = rowHeaders && c == 0 ? "th" : "td"
                let scope = tag == "th" ? " scope=\"row\"" : ""
                return "<\(tag)\(scope)\(cell.numeric ? " class=\"n\"" : "")>\(cell.html)</\(tag)>"
            }.joined() + "</tr>"
        }.joined(separator: "\n")
        return "<div class=\"wrap\"><table>\n<thead><tr>\(header)</tr></thead>\n<tbody>\n\(body)\n</tbody></table></div>\n"
    }

    /// A chart with its caption, kept on one printed page.
    static func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(caption)</figcaption></figure>\n"
    }

    /// `<section id=ID><h2>TITLE</h2>BODY</section>`.
    static func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(text(title))</h2>\n\(body)</section>\n"
    }

    /// `{a, b} {c}`: groups of task names.
    static func groups(_ groups: [[String]]) -> String {
        groups.isEmpty ? "—" : groups.map { "<span class=\"group\">{" + text($0.joined(separator: ", ")) + "}</span>" }.joined(separator: " ")
    }

    static func caption(_ text: String) -> String { "<p class=\"caption\">\(text)</p>\n" }
}
