import Foundation

/// Human-readable summaries of safetensors checkpoints, as printed by `mtk inspect`.
public enum SafetensorsReport {
    /// Validates the file or index at `url` (chosen as in `Safetensors.load`) and describes it.
    public static func render(_ url: URL) throws -> String {
        url.pathExtension == "json" ? try render(SafetensorsIndex(contentsOf: url)) : render(try SafetensorsFile(contentsOf: url))
    }

    /// One line per tensor (name, dtype, shape, elements, bytes), then totals and the metadata.
    public static func render(_ file: SafetensorsFile) -> String {
        var out = "\(file.url.path)\n"
        out += table(file.entries)
        let totals = Totals(file.entries)
        out += "total: \(totals.text); header \(file.dataStart - 8) bytes, file \(file.fileSize) bytes\n"
        out += metadataText(file.metadata)
        return out
    }

    /// The index's metadata, then each shard as `render(_: SafetensorsFile)` does, then totals
    /// over all shards. Throws if a shard is missing, invalid or disagrees with the index.
    public static func render(_ index: SafetensorsIndex) throws -> String {
        let files = try index.openShards()
        var out = "\(index.url.path): sharded checkpoint, \(files.count) shard\(files.count == 1 ? "" : "s")\n"
        out += metadataText(index.metadata)
        for (shard, file) in zip(index.shards, files) {
            out += "\nshard \(shard)\n"
            out += table(file.entries)
            out += "total: \(Totals(file.entries).text); file \(file.fileSize) bytes\n"
            out += metadataText(file.metadata)
        }
        out += "\ntotal: \(Totals(files.flatMap(\.entries)).text) in \(files.count) shard\(files.count == 1 ? "" : "s")\n"
        return out
    }

    private struct Totals {
        let tensors: Int
        let elements: Int
        let bytes: Int
        init(_ entries: [SafetensorsEntry]) {
            tensors = entries.count
            elements = entries.reduce(0) { $0 + $1.elementCount }
            bytes = entries.reduce(0) { $0 + $1.byteRange.count }
        }
        var text: String { "\(tensors) tensor\(tensors == 1 ? "" : "s"), \(elements) elements, \(bytes) data bytes" }
    }

    private static func table(_ entries: [SafetensorsEntry]) -> String {
        let header = ["name", "dtype", "shape", "elements", "bytes"]
        let rows = [header] + entries.map { entry in
            [entry.name, entry.dtype.rawValue, "[" + entry.shape.map(String.init).joined(separator: ", ") + "]",
             String(entry.elementCount), String(entry.byteRange.count)]
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [3, 4]  // the counts; the last column, so lines end without spaces
        return rows.map { row in
            "  " + row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return rightAligned.contains(column) ? padding + row[column] : row[column] + padding
            }.joined(separator: "  ") + "\n"
        }.joined()
    }

    private static func metadataText(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "metadata: (none)\n" }
        let indent = "\n    "
        return "metadata:\n" + metadata.sorted { $0.key < $1.key }.map { key, value in
            value.contains("\n") ? "  \(key):\(indent)\(value.split(separator: "\n").joined(separator: indent))\n" : "  \(key): \(value)\n"
        }.joined()
    }
}
