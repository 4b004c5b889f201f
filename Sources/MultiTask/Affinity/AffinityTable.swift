import Foundation

extension AffinityMatrix {
    /// The matrix as a labelled text table, rows = sources, columns = targets (whatever the stored
    /// orientation). With `colour`, each cell's background runs from blue (most negative) through
    /// neutral to red (most positive), scaled to the largest magnitude off the diagonal.
    public func table(colour: Bool) -> String {
        let rowFirst = orientation == .sourceToTarget ? self : transposed()
        let width = Swift.max(9, tasks.map(\.count).max() ?? 0)
        let offDiagonal = tasks.indices.flatMap { i in tasks.indices.compactMap { j in i == j ? nil : rowFirst.values[i][j] } }.filter(\.isFinite)
        let scale = offDiagonal.map(Swift.abs).max() ?? 1
        func pad(_ text: String) -> String { String(repeating: " ", count: Swift.max(0, width - text.count)) + text }
        let symmetric = tasks.indices.allSatisfy { i in tasks.indices.allSatisfy { j in values[i][j] == values[j][i] || (values[i][j].isNaN && values[j][i].isNaN) } }
        let losses = lowerIsBetter == true
        var lines = [losses ? "\(method): loss of the column task trained with the row task (diagonal: alone; lower is better)" : symmetric ? "\(method): symmetric (the same both ways)" : "\(method): row = source, column = target (effect of the row's update on the column)",
                     pad("from \\ to") + tasks.map { " " + pad($0) }.joined()]
        for i in tasks.indices {
            var line = pad(tasks[i])
            for j in tasks.indices {
                let value = rowFirst.values[i][j]
                let text = value.isNaN ? "-" : String(format: Swift.abs(value) >= 1000 || (value != 0 && Swift.abs(value) < 0.001) ? "%.2e" : "%.4f", value)
                guard colour, !losses, i != j, value.isFinite, scale > 0 else { line += " " + pad(text); continue }
                line += " " + AffinityMatrix.shade(value / scale) + pad(text) + "\u{1B}[0m"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// An ANSI 256-colour background for t in [-1, 1]: blues below 0, reds above.
    private static func shade(_ t: Double) -> String {
        let blues = [189, 153, 117, 75, 33], reds = [224, 217, 210, 203, 196]
        let level = Swift.min(4, Int((Swift.abs(t) * 5).rounded(.down)))
        return "\u{1B}[30;48;5;\(t < 0 ? blues[level] : reds[level])m"
    }
}
