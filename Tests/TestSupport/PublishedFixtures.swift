import Foundation

/// The published tables in `../shared/fixtures` (beside the repository; see its README): the
/// golden tests' inputs and expected answers. A missing folder fails those tests by name.
public enum PublishedFixtures {
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures").standardizedFileURL

    /// `relative` inside the fixtures folder, or an error saying where it was looked for.
    public static func file(_ relative: String) throws -> URL {
        let url = directory.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(description: "published fixture \(url.path) is missing: the golden tests need ../shared/fixtures beside the repository")
        }
        return url
    }

    public struct FixtureMissing: Error, CustomStringConvertible { public let description: String }
}
