/// What a task may be called. Task names become file and directory names (a baseline's run
/// directory is `baselines/NAME`), keys in configs and column labels in reports, so they are
/// short, printable, and can never point outside a folder.
public enum TaskName {
    /// The longest name allowed, in characters.
    public static let maximumLength = 100

    /// Why `name` is not a valid task name, or nil when it is: it must be 1 to 100 letters,
    /// digits, `_`, `-` or `.`, not start with `.` (no `.`, `..` or hidden names), no `/`.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a task name is empty" }
        if name.count > maximumLength { return "the task name is \(name.count) characters long; at most \(maximumLength) are allowed" }
        if name.hasPrefix(".") { return "a task name must not start with '.' (it names a folder of the run)" }
        if let bad = name.unicodeScalars.first(where: { !($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)) }) {
            let shown = bad.properties.isWhitespace || bad.value < 0x20 || bad.value == 0x7F ? "U+\(String(bad.value, radix: 16, uppercase: true))" : "'\(bad)'"
            return "a task name may hold letters, digits, '_', '-' and '.', not \(shown)"
        }
        return nil
    }
}
