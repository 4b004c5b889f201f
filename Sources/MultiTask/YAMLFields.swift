import Foundation
import Yams

/// A config error that names the file, the line and the key: `study.yaml:12: training.lr: ...`.
public struct ConfigFileError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let line: Int?
    public let key: String
    public let message: String
    public var description: String {
        let place = source + (line.map { ":\($0)" } ?? "")
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }

    init(source: String, line: Int?, key: String, message: String) {
        (self.source, self.line, self.key, self.message) = (source, line, key, message)
    }

    /// An error about `key` found after parsing (against the data or the files), at the line of
    /// the key or, when the file lacks it (a list item, a default), of the nearest key above it.
    init(source: String, lines: [String: Int], key: String, message: String) {
        var probe = key
        while lines[probe] == nil, let cut = probe.lastIndex(where: { $0 == "." || $0 == "[" }) { probe = String(probe[..<cut]) }
        self.init(source: source, line: lines[probe], key: key, message: message)
    }
}

/// Typed reads of YAML nodes whose errors name the file, the line and the dotted key, for every
/// config the project reads (studies, merges). It remembers the line of every key it has read,
/// for errors found later (against the data or the files).
final class YAMLFields {
    let source: String
    private(set) var lines: [String: Int] = [:]

    init(source: String) { self.source = source }

    func error(_ key: String, _ node: Node?, _ message: String) -> ConfigFileError {
        ConfigFileError(source: source, line: node?.mark.map { $0.line }, key: key, message: message)
    }

    /// The document's root; `what` says what it should hold.
    func root(_ yaml: String, what: String) throws -> Node {
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch let error as YamlError {
            switch error {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
                throw ConfigFileError(source: source, line: mark.line, key: "", message: "not valid YAML: \(problem)" + (context.map { " (\($0.text))" } ?? ""))
            case let .duplicatedKeysInMapping(duplicates, context):
                // Yams marks the first occurrence; the line named is the next one after it, as a
                // key (plain or quoted) in block or flow style.
                let name = duplicates.first ?? "?"
                throw ConfigFileError(source: source, line: Self.secondKey(name, in: yaml, after: context.mark), key: name, message: "given twice")
            default:
                throw ConfigFileError(source: source, line: nil, key: "", message: "not valid YAML: \(error)")
            }
        }
        guard let node, node.mapping != nil else { throw ConfigFileError(source: source, line: 1, key: "", message: "expected a mapping with \(what)") }
        return node
    }

    /// The line of the first `key:` (plain or quoted) after the one at `mark`, else `mark`'s line.
    private static func secondKey(_ key: String, in yaml: String, after mark: Mark) -> Int {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let escaped = NSRegularExpression.escapedPattern(for: key)
        guard let pattern = try? NSRegularExpression(pattern: "(^|[\\s{,\\-])[\"']?\(escaped)[\"']?\\s*:") else { return mark.line }
        for (index, line) in lines.enumerated() where index + 1 >= mark.line {
            let text = index + 1 == mark.line ? String(line.dropFirst(Swift.max(0, mark.column - 1) + key.count)) : line
            if pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { return index + 1 }
        }
        return mark.line
    }

    /// The mapping's entries by name; a key not in `allowed` (or repeated) is an error naming it.
    func mapping(_ node: Node, _ key: String, allowed: [String]) throws -> [String: Node] {
        guard let mapping = node.mapping else { throw error(key, node, "expected a mapping with keys among: \(allowed.joined(separator: ", "))") }
        var result: [String: Node] = [:]
        for (k, value) in mapping {
            let name = k.string ?? "?"
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw error(path, k, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
            guard result[name] == nil else { throw error(path, k, "given twice") }
            result[name] = value
            if let line = k.mark?.line { lines[path] = line }
        }
        return result
    }

    func string(_ node: Node, _ key: String) throws -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(key, node, "expected a non-empty string, found \(describe(node))") }
        // An unquoted ~ or null is YAML's null, not a name.
        if scalar.style == .plain || scalar.style == .any, ["~", "null", "Null", "NULL"].contains(scalar.string) {
            throw error(key, node, "expected a non-empty string, found null")
        }
        return scalar.string
    }

    /// A Float32 setting (a learning rate, say) in `range`: a value that rounds to 0 or to
    /// infinity in Float32 is refused rather than silently changed.
    func float(_ node: Node, _ key: String, _ range: ClosedRange<Double>, what: String) throws -> Float {
        let value = try number(node, key, range, what: what)
        let single = Float(value)
        guard single.isFinite, (single != 0) == (value != 0) else {
            throw error(key, node, "\(value) is outside what a 32-bit float holds (it would become \(single)); expected \(what)")
        }
        return single
    }

    /// A list of strings; a single string is a list of one.
    func strings(_ node: Node, _ key: String) throws -> [String] {
        if node.scalar != nil { return [try string(node, key)] }
        guard let list = node.sequence else { throw error(key, node, "expected a string or a list of strings") }
        return try list.enumerated().map { try string($1, "\(key)[\($0)]") }
    }

    func number(_ node: Node, _ key: String, _ range: ClosedRange<Double>? = nil, what: String = "a finite number") throws -> Double {
        let text = node.scalar?.string ?? ""
        guard node.scalar != nil, let value = Double(text), value.isFinite else { throw error(key, node, "expected \(what), found \(describe(node))") }
        if let range, !range.contains(value) { throw error(key, node, "expected \(what), found \(text)") }
        return value
    }

    func integer(_ node: Node, _ key: String, _ range: ClosedRange<Int>, what: String? = nil) throws -> Int {
        let text = node.scalar?.string ?? ""
        let expected = what ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard node.scalar != nil, let value = Int(text), range.contains(value) else { throw error(key, node, "expected \(expected), found \(describe(node))") }
        return value
    }

    func seed(_ node: Node, _ key: String) throws -> UInt64 {
        guard let value = node.scalar.flatMap({ UInt64($0.string) }) else {
            throw error(key, node, "expected an integer from 0 to 18446744073709551615, found \(describe(node))")
        }
        return value
    }

    func bool(_ node: Node, _ key: String) throws -> Bool {
        // Quoted, "yes" is text, not a boolean: say so rather than guess.
        if let scalar = node.scalar, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            throw error(key, node, "expected true or false, found the quoted string \(describe(node)) (write it without quotes)")
        }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, node, "expected true or false, found \(describe(node))")
        }
    }

    /// A list; a scalar is a list of one.
    func list(_ node: Node, _ key: String) -> [(String, Node)] {
        if let sequence = node.sequence { return sequence.enumerated().map { ("\(key)[\($0)]", $1) } }
        return [(key, node)]
    }

    private func describe(_ node: Node) -> String {
        if let scalar = node.scalar { return "'\(scalar.string)'" }
        return node.sequence != nil ? "a list" : "a mapping"
    }
}
