/// One CSV record: its fields and the 1-based line it starts on.
struct CSVRecord {
    /// The physical line where the record starts.
    var line: Int
    /// The decoded fields (quotes removed, `""` unescaped), untrimmed.
    var fields: [String]
}

/// Splits CSV text into records (RFC 4180: comma separators, double-quoted fields that may hold
/// commas, newlines and `""`), tracking line numbers so that later errors can name them.
enum CSVReader {
    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// The non-blank records of `bytes` (LF or CRLF line ends, an optional UTF-8 byte-order mark);
    /// `path` names the file in errors.
    static func records(_ bytes: [UInt8], path: String) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(CSVRecord(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }

        while i < bytes.count {
            let byte = bytes[i]
            if byte == quote && field.isEmpty {
                let openedOn = line
                i += 1
                while true {
                    guard i < bytes.count else {
                        throw DataError.malformedCSV(path: path, line: openedOn, column: fields.count + 1, reason: "quoted field is never closed")
                    }
                    if bytes[i] == quote {
                        if i + 1 < bytes.count && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    if bytes[i] == newline { line += 1 }
                    field.append(bytes[i])
                    i += 1
                }
                let atEnd = i >= bytes.count || bytes[i] == comma || bytes[i] == newline
                    || (bytes[i] == carriageReturn && i + 1 < bytes.count && bytes[i + 1] == newline)
                guard atEnd else {
                    throw DataError.malformedCSV(
                        path: path, line: line, column: fields.count + 1, reason: "unexpected text after a closing quote")
                }
                continue
            }
            switch byte {
            case comma:
                endField()
            case newline:
                endRecord()
                line += 1
                recordLine = line
            case carriageReturn where i + 1 < bytes.count && bytes[i + 1] == newline:
                break
            default:
                field.append(byte)
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
