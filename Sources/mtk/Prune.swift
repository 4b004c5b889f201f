import ArgumentParser
import Foundation
import MultiTask
import NN

/// `mtk prune`: prune a multi-task network with SNIP or DiSparse's per-task masks, then train it
/// with the masks held fixed.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune a multi-task network (SNIP, or DiSparse's per-task masks) and train it with the masks.",
        discussion: """
        Takes mtk train's options. snip: one mask from the summed loss. disparse-static: each task's SNIP mask at \
        initialisation; the trunk keeps a weight unless every task would prune it (--rule union), each head its task's \
        own. disparse-pt: the same from a trained checkpoint (--init), then fine-tuning. disparse-dynamic: the static masks, \
        then every --update-every steps drop by magnitude and regrow by each task's gradient (RigL), fixed after \
        --end-fraction of the run. The keep ratio is calibrated so \
        the trunk's sparsity is --sparsity (within 0.1%). The run directory holds masks.safetensors; mtk train --resume \
        continues a stopped run with its masks.
        """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "snip, disparse-static, disparse-pt or disparse-dynamic.") var method: String
    @Option(parsing: .unconditional, help: "The fraction of the trunk's prunable weights removed, in [0, 1).") var sparsity: Double
    @Option(parsing: .unconditional, help: "Batches the SNIP scores are summed over [50].") var batches = 50
    @Option(help: "Top-k over each task's whole pool (global) or within each layer (per-layer) [global].") var scope = "global"
    @Option(help: "How the tasks' trunk masks combine: union (DiSparse) or intersection [union]; not for snip (one mask).") var rule: String?
    @Option(help: "A dense run directory (mtk train) to report Δm% against.") var dense: String?
    @Option(parsing: .unconditional, help: "disparse-dynamic: steps between mask updates [50].") var updateEvery: Int?
    @Option(parsing: .unconditional, help: "disparse-dynamic: the fraction of the run's steps after which the masks stay fixed [0.75].") var endFraction: Double?

    func run() throws {
        guard let kind = PruningRequest.Method(rawValue: method) else {
            throw ValidationError("--method: expected \(PruningRequest.Method.allCases.map(\.rawValue).joined(separator: ", ")), got '\(method)'")
        }
        guard let scopeValue = PruningRequest.Scope(rawValue: scope) else { throw ValidationError("--scope: expected global or per-layer, got '\(scope)'") }
        guard let ruleValue = PruningRequest.Rule(rawValue: rule ?? "union") else { throw ValidationError("--rule: expected union or intersection, got '\(rule!)'") }
        if rule != nil && kind == .snip { throw ValidationError("--rule combines per-task masks (the disparse methods); snip makes one mask from the summed loss") }
        var request = PruningRequest(method: kind, sparsity: sparsity)
        (request.batches, request.scope, request.rule) = (batches, scopeValue, ruleValue)
        (request.updateEvery, request.endFraction) = (updateEvery, endFraction)
        try request.validate()
        let config = options.apply(to: RunConfig())
        switch kind {
        case .disparsePT where config.initFrom == nil: throw ValidationError("--method disparse-pt prunes a trained network: give it with --init")
        case .snip where config.initFrom != nil, .disparseStatic where config.initFrom != nil, .disparseDynamic where config.initFrom != nil:
            throw ValidationError("--method \(method) prunes at initialisation; to prune a trained checkpoint use --method disparse-pt")
        default: break
        }
        let denseResults = try dense.map { try RunResults.read(run: URL(fileURLWithPath: $0)) }
        if let dense, try RunDirectory.reading(URL(fileURLWithPath: dense)).readConfig().pruning != nil {
            throw ValidationError("--dense \(dense): that run is itself pruned; give the dense run to compare with")
        }
        let data = try PreparedData(config.data!)
        if let denseResults, Set(denseResults.test.tasks.map(\.task)) != Set(data.tasks.map(\.name)) {
            throw ValidationError("--dense \(dense!): that run learned \(denseResults.test.tasks.map(\.task).joined(separator: ", ")), this one learns \(data.tasks.map(\.name).joined(separator: ", ")); Δm% compares the same tasks")
        }
        let onEvent = TrainingOptions.progressAndSignals()
        let results = try options.start(config, prepared: data, onEvent: onEvent) { model in
            let pruned = try PruningMasks.prune(request, model: model, data: data.train, batchSize: config.training.batchSize, seed: config.training.seed)
            let layers = pruned.masks.names.map { name in String(format: "%@ %.1f%%", name, 100 * PruningMasks.sparsity(pruned.masks, names: [name])) }
            logLine(String(format: "prune: %@ at keep %.4f: trunk sparsity %.2f%% (asked %.2f%%); per layer: ", method, pruned.request.keep!, 100 * pruned.request.trunkSparsity!, 100 * sparsity)
                    + layers.joined(separator: ", "))
            if Swift.abs(pruned.request.trunkSparsity! - sparsity) > 0.001 {
                logLine(String(format: "prune: note: %.2f%% is as close as this trunk allows (its weights come in steps, and a layer the cut would empty keeps one weight per row)", 100 * pruned.request.trunkSparsity!))
            }
            return pruned
        }
        if results.summary.resumable {
            print("stopped after \(results.summary.steps) steps" + (options.output.map { "; continue with: mtk train --resume --output \($0)" } ?? ""))
        }
        print("test set (best validation epoch \(results.bestEpoch.map(String.init) ?? "-")):")
        print(results.markdown)
        if let denseResults {
            let delta = DeltaM(model: results.test, baselines: denseResults.test)
            print(String(format: "Δm%% against the dense run %@: %+.2f%%", dense!, delta.improvement))
        }
    }
}
