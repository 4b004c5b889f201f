import Foundation

/// How a number is written in the report: one fixed rule per kind, so the page reads evenly and a
/// test can recompute every number shown from `results.json`.
enum NumberKind: String, CaseIterable, Sendable {
    /// Losses, metrics, affinities, normalised metrics, norms: `%.4f`.
    case value
    /// Percentages (Δm%, per-metric changes, gaps to the optimum): `%+.2f`, the sign always shown.
    case percent
    /// Seconds of wall-clock or CPU time: `%.1f`.
    case seconds
    /// Counts, budgets, epochs, ranks: a whole number.
    case integer
    /// Correlations and fractions: `%.3f`.
    case ratio
    /// The task-vector scale α: `%.2f`.
    case alpha
    /// A fraction shown in percent (a sparsity): `%.6g` of 100 × the value (99.9999, never 100.0).
    case fraction
}

/// The report's only way to show a number: its text by the kind's rule, wrapped with the JSON path
/// of the value in `results.json`, so every number on the page can be traced back to (and checked
/// against) the file it came from.
enum NumberFormat {
    /// `value` written by `kind`'s rule; non-finite values as `n/a`, `∞` or `−∞`.
    static func text(_ value: Double, _ kind: NumberKind) -> String {
        if value.isNaN { return "n/a" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        switch kind {
        case .value: return String(format: "%.4f", value)
        case .percent: return String(format: "%+.2f", value)
        case .seconds: return String(format: "%.1f", value)
        case .integer: return String(Int(value.rounded()))
        case .ratio: return String(format: "%.3f", value)
        case .alpha: return String(format: "%.2f", value)
        case .fraction: return String(format: "%.6g", value * 100)
        }
    }

    /// `<span class="num" data-kind="KIND" data-path="PATH">TEXT</span>`; a missing value is a
    /// plain dash (nothing to trace). Percentages also say whether they are better or worse.
    /// `lowerIsBetter`: a percentage where positive is worse (a gap to the optimum).
    static func html(_ value: Double?, _ kind: NumberKind, _ path: String, lowerIsBetter: Bool = false) -> String {
        guard let value else { return "<span class=\"missing\">—</span>" }
        var classes = "num"
        if kind == .percent, value.isFinite, value != 0 { classes += (value > 0) != lowerIsBetter ? " up" : " down" }
        return "<span class=\"\(classes)\" data-kind=\"\(kind.rawValue)\" data-path=\"\(SVG.escape(path))\">\(SVG.escape(text(value, kind)))</span>"
    }

    /// `html` for a whole number.
    static func html(_ value: Int?, _ path: String) -> String { html(value.map(Double.init), .integer, path) }
}

/// Paths into the JSON encoding of `StudyResults`: `.name` for a property, `[i]` for an array
/// element, `["key"]` for a dictionary key that is not a plain identifier (`"a.accuracy"`).
enum JSONPath {
    /// The path step for dictionary key `key`.
    static func key(_ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "_" }
            && !(key.first!.isNumber)
        if plain { return "." + key }
        let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "[\"\(escaped)\"]"
    }
}
