/// A parsed JSON value whose objects keep their members in document order, repeated keys
/// included, so callers can reject duplicates that dictionary-based parsers merge silently.
/// Integers written without a fraction or exponent that fit in `Int` parse as `.integer`;
/// other numbers as `.number`, always finite.
indirect enum JSONValue: Sendable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    /// The JSON type name used in error messages ("object", "integer", ...).
    var kind: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    /// The value as compact JSON, cut to at most `limit` characters, for error messages.
    func summary(limit: Int = 60) -> String {
        let text = rendered()
        return text.count <= limit ? text : String(text.prefix(limit - 3)) + "..."
    }

    /// The value as JSON text: compact, or indented by `indent` spaces per level.
    func rendered(indent: Int? = nil) -> String {
        var out = ""
        render(into: &out, indent: indent, level: 0)
        return out
    }

    private func render(into out: inout String, indent: Int?, level: Int) {
        switch self {
        case .object(let members):
            renderContainer(members, open: "{", close: "}", into: &out, indent: indent, level: level) { member, out in
                out += JSONValue.quoted(member.key)
                out += indent == nil ? ":" : ": "
                member.value.render(into: &out, indent: indent, level: level + 1)
            }
        case .array(let elements):
            renderContainer(elements, open: "[", close: "]", into: &out, indent: indent, level: level) { element, out in
                element.render(into: &out, indent: indent, level: level + 1)
            }
        case .string(let s): out += JSONValue.quoted(s)
        case .integer(let i): out += String(i)
        case .number(let d): out += "\(d)"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    private func renderContainer<Element>(
        _ elements: [Element], open: String, close: String, into out: inout String, indent: Int?, level: Int,
        _ renderElement: (Element, inout String) -> Void
    ) {
        out += open
        guard !elements.isEmpty else { out += close; return }
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        for (i, element) in elements.enumerated() {
            if i > 0 { out += "," }
            out += newline
            renderElement(element, &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += close
    }

    /// `s` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// One `"key": value` pair of a JSON object.
struct JSONMember: Sendable {
    let key: String
    let value: JSONValue
}
