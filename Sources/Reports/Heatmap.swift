import Foundation

/// An affinity (or any square) matrix as an SVG heatmap: one cell per pair with its value printed,
/// task names on both axes in the given order, and the orientation spelled out under the chart
/// (row = source, column = target, say). Colour runs from blue (lowest) through white to red
/// (highest), symmetric around 0 when the values have both signs; NaN cells are grey with "–".
public struct Heatmap {
    public var title: String
    public var labels: [String]
    public var values: [[Double]]
    /// E.g. "row = source, column = target".
    public var orientation: String
    public var digits = 3
    /// Colour the off-diagonal cells only (the diagonal, a task on itself, is printed on grey):
    /// self-affinity would otherwise take the whole colour range.
    public var scaleOffDiagonal = false

    public init(title: String, labels: [String], values: [[Double]], orientation: String) {
        (self.title, self.labels, self.values, self.orientation) = (title, labels, values, orientation)
    }

    public var svg: String {
        // Long names are cut (with an ellipsis) so the cells keep their room; the title tooltip keeps the whole name.
        let shown = labels.map { $0.count > 24 ? String($0.prefix(23)) + "…" : $0 }
        let cell = 56.0, margin = Double(shown.map(\.count).max() ?? 4) * 7 + 12, top = 28.0
        let n = labels.count
        let width = margin + Double(n) * cell + 8, height = top + margin + Double(n) * cell + 24
        let finite = values.enumerated().flatMap { i, row in row.enumerated().filter { !scaleOffDiagonal || $0.offset != i }.map(\.element) }.filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        let symmetric = low < 0 && high > 0
        let bound = Swift.max(Swift.abs(low), Swift.abs(high))
        func colour(_ v: Double) -> String {
            guard v.isFinite else { return "#dddddd" }
            // t in [-1, 1]: −1 blue, 0 white, 1 red.
            let t: Double
            if symmetric { t = bound > 0 ? v / bound : 0 } else { t = high > low ? 2 * (v - low) / (high - low) - 1 : 0 }
            let (r, g, b) = t >= 0 ? (255.0, 255 * (1 - t), 255 * (1 - t)) : (255 * (1 + t), 255 * (1 + t), 255.0)
            return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
        }
        var body = SVG.element("text", [("x", SVG.n(4)), ("y", SVG.n(16)), ("font-weight", "bold")], SVG.escape(title))
        for (i, label) in shown.enumerated() {
            let y = top + margin + Double(i) * cell + cell / 2 + 4
            body += SVG.element("text", [("x", SVG.n(margin - 6)), ("y", SVG.n(y)), ("text-anchor", "end")], SVG.escape(label))
            let x = margin + Double(i) * cell + cell / 2
            body += SVG.element("text", [("x", SVG.n(x)), ("y", SVG.n(top + margin - 6)), ("text-anchor", "start"),
                                         ("transform", "rotate(-45 \(SVG.n(x)) \(SVG.n(top + margin - 6)))")], SVG.escape(label))
        }
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let x = margin + Double(j) * cell, y = top + margin + Double(i) * cell
                let fill = scaleOffDiagonal && i == j ? "#eeeeee" : colour(v)
                body += SVG.element("rect", [("x", SVG.n(x)), ("y", SVG.n(y)), ("width", SVG.n(cell - 1)), ("height", SVG.n(cell - 1)), ("fill", fill)])
                var text = v.isFinite ? String(format: "%.\(digits)f", v) : "–"
                if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { text.removeFirst() }  // -0.000 reads as 0.000
                // White on dark cells, black on light ones (relative luminance of the fill).
                let rgb = [1, 3, 5].map { Double(Int(fill.dropFirst($0).prefix(2), radix: 16) ?? 255) / 255 }
                let ink = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 0.45 ? "#ffffff" : "#000000"
                body += SVG.element("text", [("x", SVG.n(x + cell / 2)), ("y", SVG.n(y + cell / 2 + 4)), ("text-anchor", "middle"), ("fill", ink)], SVG.escape(text))
            }
        }
        body += SVG.element("text", [("x", SVG.n(4)), ("y", SVG.n(height - 8)), ("font-style", "italic")], SVG.escape(orientation))
        return SVG.document(width: width, height: height, title: title, body)
    }
}
