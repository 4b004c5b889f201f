import Foundation

/// Finding and comparing earlier studies: `mtk runs list` and `mtk runs compare`.
package enum StudyRuns {
    package struct Entry: Sendable, Equatable {
        package var directory: URL
        package var results: StudyResults?
        package var config: StudyConfig?
        package var modified: Date
        /// Why the study's files could not be read (the entry is listed anyway).
        package var problem: String?
        package var name: String { config?.name ?? directory.lastPathComponent }
    }

    /// Every study under `root` (each folder with a `study.json`), newest first.
    package static func list(_ root: URL) throws -> [Entry] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { throw ConfigurationError("\(root.path): no such folder (studies go to runs/NAME)") }
        guard isDirectory.boolValue else { throw ConfigurationError("\(root.path) is a file; give the folder of run directories (runs)") }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        var entries: [Entry] = []
        for name in names {
            let folder = root.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("study.json").path) else { continue }
            do { entries.append(try read(folder)) } catch {
                let modified = (try? FileManager.default.attributesOfItem(atPath: folder.path))?[.modificationDate] as? Date ?? .distantPast
                entries.append(Entry(directory: folder, results: nil, config: nil, modified: modified, problem: "\(error)"))
            }
        }
        return entries.sorted { $0.modified > $1.modified || ($0.modified == $1.modified && $0.directory.path < $1.directory.path) }
    }

    /// The study in `folder` (its config and, once a step has finished, its results).
    package static func read(_ folder: URL) throws -> Entry {
        let configFile = folder.appendingPathComponent("study.json"), resultsFile = folder.appendingPathComponent("results.json")
        guard FileManager.default.fileExists(atPath: configFile.path) else { throw ConfigurationError("\(folder.path) holds no study (no study.json): give a folder made by mtk run") }
        let config = try RunDirectory.readJSON(StudyConfig.self, from: configFile, what: "study config")
        var results: StudyResults?
        if FileManager.default.fileExists(atPath: resultsFile.path) {
            do { results = try RunDirectory.readJSON(StudyResults.self, from: resultsFile, what: "study results") } catch {
                throw ConfigurationError("\(error); remove it and run the study again (mtk run redoes its steps from the cached networks, training none again)")
            }
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: (results == nil ? configFile : resultsFile).path)
        return Entry(directory: folder, results: results, config: config, modified: attributes?[.modificationDate] as? Date ?? .distantPast, problem: nil)
    }

    /// A Markdown table of `entries`: name, state, tasks, best multi-task Δm% and the recommendation.
    package static func table(_ entries: [Entry]) -> String {
        var lines = ["| study | state | tasks | steps done | Δm% (best method) | recommended grouping | folder |", "|---|---|---|---:|---:|---|---|"]
        /// A table cell's text: a '|' (in a folder's name, say) would end the cell.
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        for entry in entries {
            if let problem = entry.problem {
                lines.append("| \(cell(entry.name)) | unreadable: \(cell(problem)) | | | | | \(cell(entry.directory.path)) |")
                continue
            }
            let r = entry.results
            let state = r == nil ? "not started" : (r!.complete ? "complete" : "stopped")
            let tasks = r?.tasks.map(\.name) ?? entry.config?.data.tasks ?? []
            let best = (r?.multitask ?? []).compactMap { n in n.deltaM.map { (n.label, $0.improvement) } }.max { $0.1 < $1.1 }
            // Every budget's recommendation, fewest networks first (in the config's order the last was shown).
            let recommended = (r?.recommendations ?? []).sorted { $0.maxGroups < $1.maxGroups }
                .map { "\($0.maxGroups): \($0.groups.map { $0.joined(separator: "+") }.joined(separator: " \u{2502} "))" }
            let grouping = recommended.isEmpty ? "-" : recommended.joined(separator: "; ")
            lines.append("| \(cell(entry.name)) | \(state) | \(cell(tasks.joined(separator: ", "))) | \(r?.timings.count ?? 0) | "
                         + (best.map { cell(String(format: "%+.2f (%@)", $0.1, $0.0)) } ?? "-") + " | \(cell(grouping)) | \(cell(entry.directory.path)) |")
        }
        return lines.joined(separator: "\n")
    }

    /// Two studies side by side: what differs in their configs, their per-task test metrics
    /// (networks matched by label), Δm%, affinity agreement and recommendations.
    package static func compare(_ a: Entry, _ b: Entry) -> String {
        // Columns are named by study, or by folder when the names are the same (by path when those are too).
        let (x, y) = a.name != b.name ? (a.name, b.name)
            : a.directory.lastPathComponent != b.directory.lastPathComponent ? (a.directory.lastPathComponent, b.directory.lastPathComponent)
            : (a.directory.path, b.directory.path)
        var out = ["# \(x) vs \(y)", ""]
        if a.directory.standardizedFileURL.path == b.directory.standardizedFileURL.path {
            out.append("Both are the same study (\(a.directory.path)): everything below is equal by construction.")
        }
        if let ca = a.config, let cb = b.config {
            let differing = StudyRunner.differences(ca, cb).filter { $0 != "name" }
            out.append(differing.isEmpty ? "The configs are the same" + (ca.name == cb.name ? "." : " (but for the name).") : "The configs differ in: \(differing.joined(separator: ", ")).")
        }
        for entry in [a, b] where entry.results.map({ !$0.complete }) ?? false {
            out.append("\(entry.directory.path) has not finished: only its finished steps are compared.")
        }
        if let ta = a.results?.tasks.map(\.name), let tb = b.results?.tasks.map(\.name), ta != tb {
            let (onlyA, onlyB) = (ta.filter { !tb.contains($0) }, tb.filter { !ta.contains($0) })
            out.append("The tasks differ" + (onlyA.isEmpty ? "" : "; only in \(x): \(onlyA.joined(separator: ", "))") + (onlyB.isEmpty ? "" : "; only in \(y): \(onlyB.joined(separator: ", "))")
                       + ": those are left out, and networks of different task sets are not compared directly.")
        }
        guard let ra = a.results, let rb = b.results else {
            out.append("\n" + [a, b].filter { $0.results == nil }.map { "\($0.directory.path) has no results yet." }.joined(separator: " "))
            return out.joined(separator: "\n")
        }
        let networks = { (r: StudyResults) in (r.baselines ?? []).map { ("single-task", $0) } + (r.multitask ?? []).map { ($0.label, $0) } }
        let left = networks(ra), right = networks(rb)
        var rows: [String] = []
        for (label, network) in left {
            for task in network.test.tasks {
                guard let other = right.first(where: { $0.0 == label && Set($0.1.tasks) == Set(network.tasks) })?.1.test[task.task] else { continue }
                for metric in task.metrics {
                    guard let value = other.metric(metric.name)?.value else { continue }
                    let better = value == metric.value ? "=" : ((value > metric.value) == metric.higherIsBetter ? y : x)
                    rows.append("| \(label) | \(task.task) | \(metric.name) \(metric.higherIsBetter ? "↑" : "↓") | \(String(format: "%.4f", metric.value)) | \(String(format: "%.4f", value)) | \(String(format: "%+.4f", value - metric.value)) | \(better) |")
                }
            }
        }
        if !rows.isEmpty {
            out += ["", "## Test metrics", "", "| network | task | metric | \(x) | \(y) | \(y) − \(x) | better |", "|---|---|---|---:|---:|---:|---|"] + rows
        }
        let deltas = (ra.multitask ?? []).compactMap { n -> String? in
            guard let d = n.deltaM, let e = rb.multitask?.first(where: { $0.label == n.label })?.deltaM else { return nil }
            return "| \(n.label) | \(String(format: "%+.2f", d.improvement)) | \(String(format: "%+.2f", e.improvement)) |"
        }
        if !deltas.isEmpty { out += ["", "## Δm% (positive: better than single-task)", "", "| method | \(x) | \(y) |", "|---|---:|---:|"] + deltas }
        var agreement: [String] = []
        for m in ra.affinity ?? [] {
            guard let n = rb.affinity?.first(where: { $0.method == m.method }), Set(m.tasks) == Set(n.tasks) else { continue }
            let pairs = m.tasks.flatMap { s in m.tasks.filter { $0 != s }.map { (s, $0) } }
            let rho = RankCorrelation.spearman(pairs.map { m.value(from: $0.0, to: $0.1)! }, pairs.map { n.value(from: $0.0, to: $0.1)! })
            agreement.append("| \(m.method) | \(rho.isNaN ? "undefined" : String(format: "%.3f", rho)) |")
        }
        if !agreement.isEmpty { out += ["", "## Affinity agreement (Spearman's ρ over ordered pairs)", "", "| estimator | ρ |", "|---|---:|"] + agreement }
        let recommendations = (ra.recommendations ?? []).map { r -> String in
            let other = rb.recommendations?.first { $0.maxGroups == r.maxGroups }
            let show = { (g: [[String]]) in g.map { $0.joined(separator: "+") }.joined(separator: " \u{2502} ") }
            return "| \(r.maxGroups) | \(show(r.groups)) | \(other.map { show($0.groups) } ?? "-") |"
        }
        if !recommendations.isEmpty { out += ["", "## Recommended grouping", "", "| networks | \(x) | \(y) |", "|---:|---|---|"] + recommendations }
        return out.joined(separator: "\n")
    }
}
