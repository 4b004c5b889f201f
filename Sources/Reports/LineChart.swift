import Foundation

/// Curves against a shared x axis as an SVG line chart: training losses per epoch, or the α-sweep
/// transfer curves of a task vector (every task's normalised metric against α, with a dashed
/// reference line at 1). Axes with ticks at "nice" values, a legend, and each series in its own
/// colour; non-finite points break a line rather than draw it off the chart.
public struct LineChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Drawn dashed (a companion of another series: training beside validation loss).
        public var dashed = false
        /// The palette entry to use (default: the series' position), so companions share a colour.
        public var colour: Int?
        public init(name: String, points: [(x: Double, y: Double)]) { (self.name, self.points) = (name, points) }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// A dashed horizontal line (the baseline at 1.0 of normalised metrics), if any.
    public var reference: Double?
    /// A dot at every finite point, for series of few points (one point draws no line).
    public var markers = false
    /// Ticks on whole numbers only (epochs, budgets).
    public var integerX = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series], reference: Double? = nil) {
        (self.title, self.xLabel, self.yLabel, self.series, self.reference) = (title, xLabel, yLabel, series, reference)
    }

    /// Colours that stay apart in print and for common colour blindness (Okabe–Ito).
    static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000"]

    /// About five round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten,
    /// each tick computed as an integer count of the step so it prints exactly (0.6, not 0.6000000000000001).
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let raw = (high - low) / 5
        let exponent = Int(Foundation.log10(raw).rounded(.down))
        let scaled = raw / Foundation.pow(10, Double(exponent))
        let digit = scaled < 1.5 ? 1 : scaled < 3 ? 2 : scaled < 7 ? 5 : 10
        func value(_ k: Int) -> Double {
            exponent >= 0 ? Double(k * digit) * Foundation.pow(10, Double(exponent)) : Double(k * digit) / Foundation.pow(10, Double(-exponent))
        }
        let step = value(1)
        let first = Int((low / step).rounded(.up)), last = Int((high / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).map(value)
    }

    public var svg: String {
        let width = 520.0, height = 300.0, left = 56.0, right = 130.0, top = 28.0, bottom = 44.0
        let all = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }
        var (x0, x1) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        var (y0, y1) = (all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        if let reference { (y0, y1) = (Swift.min(y0, reference), Swift.max(y1, reference)) }
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y1 = y0 + 1 }
        let pad = (y1 - y0) * 0.05
        (y0, y1) = (y0 - pad, y1 + pad)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
        var body = SVG.element("text", [("x", "4"), ("y", "16"), ("font-weight", "bold")], SVG.escape(title))
        body += SVG.element("line", [("x1", SVG.n(left)), ("y1", SVG.n(height - bottom)), ("x2", SVG.n(width - right)), ("y2", SVG.n(height - bottom)), ("stroke", "#333")])
        body += SVG.element("line", [("x1", SVG.n(left)), ("y1", SVG.n(top)), ("x2", SVG.n(left)), ("y2", SVG.n(height - bottom)), ("stroke", "#333")])
        let xTicks = integerX ? Array(stride(from: x0.rounded(.up), through: x1, by: Swift.max(1, ((x1 - x0) / 5).rounded(.up)))) : Self.ticks(x0, x1)
        for t in xTicks {
            body += SVG.element("text", [("x", SVG.n(px(t))), ("y", SVG.n(height - bottom + 16)), ("text-anchor", "middle")], SVG.escape(Self.label(t)))
        }
        for t in Self.ticks(y0, y1) {
            body += SVG.element("text", [("x", SVG.n(left - 6)), ("y", SVG.n(py(t) + 4)), ("text-anchor", "end")], SVG.escape(Self.label(t)))
            body += SVG.element("line", [("x1", SVG.n(left)), ("y1", SVG.n(py(t))), ("x2", SVG.n(width - right)), ("y2", SVG.n(py(t))), ("stroke", "#eee")])
        }
        body += SVG.element("text", [("x", SVG.n((left + width - right) / 2)), ("y", SVG.n(height - 8)), ("text-anchor", "middle")], SVG.escape(xLabel))
        body += SVG.element("text", [("x", "14"), ("y", SVG.n((top + height - bottom) / 2)), ("text-anchor", "middle"),
                                     ("transform", "rotate(-90 14 \(SVG.n((top + height - bottom) / 2)))")], SVG.escape(yLabel))
        if let reference {
            body += SVG.element("line", [("x1", SVG.n(left)), ("y1", SVG.n(py(reference))), ("x2", SVG.n(width - right)), ("y2", SVG.n(py(reference))),
                                         ("stroke", "#777"), ("stroke-dasharray", "4 3")])
        }
        for (k, s) in series.enumerated() {
            let colour = Self.palette[(s.colour ?? k) % Self.palette.count]
            let dash: [(String, String)] = s.dashed ? [("stroke-dasharray", "6 3")] : []
            // Runs of finite points, each its own polyline.
            var runs: [[(Double, Double)]] = [[]]
            for p in s.points {
                if p.x.isFinite && p.y.isFinite { runs[runs.count - 1].append((p.x, p.y)) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            for run in runs where !run.isEmpty {
                let points = run.map { "\(SVG.n(px($0.0))),\(SVG.n(py($0.1)))" }.joined(separator: " ")
                body += SVG.element("polyline", [("points", points), ("fill", "none"), ("stroke", colour), ("stroke-width", "2")] + dash)
                if markers {
                    for p in run { body += SVG.element("circle", [("cx", SVG.n(px(p.0))), ("cy", SVG.n(py(p.1))), ("r", "3"), ("fill", colour)]) }
                }
            }
            let y = top + 14 + Double(k) * 16
            body += SVG.element("line", [("x1", SVG.n(width - right + 10)), ("y1", SVG.n(y - 4)), ("x2", SVG.n(width - right + 28)), ("y2", SVG.n(y - 4)), ("stroke", colour), ("stroke-width", "2")] + dash)
            body += SVG.element("text", [("x", SVG.n(width - right + 32)), ("y", SVG.n(y))], SVG.escape(s.name))
        }
        return SVG.document(width: width, height: height, title: title, body)
    }

    /// A tick label: integers plainly, other values to at most three significant decimals.
    static func label(_ v: Double) -> String {
        if v == v.rounded() && Swift.abs(v) < 1e9 { return String(Int(v)) }
        var text = String(format: "%.3g", v)
        if text == "-0" { text = "0" }
        return text
    }
}
