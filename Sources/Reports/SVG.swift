import Foundation

/// Building blocks of the report's charts: SVG text written by hand (no scripts, no fonts
/// fetched), so a report opens offline and prints. Numbers are written with a fixed precision
/// so the same data give the same bytes.
public enum SVG {
    /// `text` with the five XML special characters escaped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate or size, to two decimals.
    static func n(_ x: Double) -> String { String(format: "%.2f", x) }

    /// An element `name` with `attributes` (in order) around `body` (none: self-closing).
    static func element(_ name: String, _ attributes: [(String, String)], _ body: String? = nil) -> String {
        let attrs = attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
        guard let body else { return "<\(name)\(attrs)/>" }
        return "<\(name)\(attrs)>\(body)</\(name)>"
    }

    /// A complete `<svg>` of `width` × `height` with a title for screen readers.
    static func document(width: Double, height: Double, title: String, _ body: String) -> String {
        element("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(n(width)) \(n(height))"),
                        ("width", n(width)), ("height", n(height)), ("role", "img"), ("font-family", "sans-serif"), ("font-size", "12")],
                element("title", [], escape(title)) + body)
    }
}
