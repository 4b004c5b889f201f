import Foundation
import Testing
@testable import NN
import Tensors

/// Builds a safetensors file byte by byte: the 8-byte little-endian length, `header`, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}

/// The `SafetensorsError` that opening `url` throws, or nil when it opens (or throws something else).
func openingError(_ url: URL) -> SafetensorsError? {
    do {
        _ = try SafetensorsFile(contentsOf: url)
        return nil
    } catch {
        return error as? SafetensorsError
    }
}

/// The error `body` throws, or nil.
func thrownError(_ body: () throws -> Void) -> (any Error)? {
    do { try body(); return nil } catch { return error }
}

/// The bit patterns of a tensor's elements, for exact comparison (NaN payloads and -0 included).
func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

/// The committed fixtures written by scripts/make_safetensors_fixtures.py.
func fixture(_ name: String) throws -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors").appendingPathComponent(name)
}
