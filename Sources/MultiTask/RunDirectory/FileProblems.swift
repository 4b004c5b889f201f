import Files
import Foundation

/// Reading small files of a run (JSON, YAML) with errors that name the file and say what was
/// expected — never Foundation's own texts.
enum RegularFile {
    /// Every byte of the regular file at `url` (at most 1 GiB: no file of a run is near that),
    /// as `Foundation.Data`.
    static func read(_ url: URL) throws -> Foundation.Data {
        do { return Foundation.Data(try FileContents.bytes(url.path, atMost: 1 << 30)) } catch {
            throw RunDirectoryError.corrupt(path: url.path, reason: error.missing ? "is missing" : "cannot be read: \(error.reason)")
        }
    }

    /// A short reason for a failed file operation: the system's message for its error number,
    /// else the error's own description.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteFileExists: return "a file of that name exists"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        default: return "error \(ns.code)"
        }
    }
}

/// Turns a `DecodingError` into a line that names the key path and what was expected.
enum DecodingProblem {
    /// A type's name as a reader would say it: `Pointer`, not `(Pointer in _15E8245009691E21)`.
    static func name(_ type: Any.Type) -> String {
        let text = "\(type)"
        guard text.hasPrefix("("), let end = text.range(of: " in ") else { return text }
        return String(text[text.index(after: text.startIndex)..<end.lowerBound])
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : "'" + keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "key '\(key.stringValue)' is missing at \(path(context))"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context)) should be \(typeName(type))"
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "not valid JSON" }
            // "Cannot initialize Keep from invalid String value zzz": a value outside the choices.
            if let range = context.debugDescription.range(of: " from invalid String value ") {
                return "\(path(context)): '\(context.debugDescription[range.upperBound...])' is not one of the values it can take"
            }
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is UInt64.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)".hasPrefix("Array") ? "a list" : "\(type)".hasPrefix("Dictionary") ? "an object" : "of type \(type)"
        }
    }
}

/// The JSON of run files: sorted keys (optionally pretty), and non-finite numbers as the strings
/// "inf", "-inf" and "nan", which plain JSON cannot hold (a NaN metric, an undefined affinity).
package enum RunJSON {
    package static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
