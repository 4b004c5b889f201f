import Foundation
@testable import MultiTask
import NN
import Tensors
import Testing

/// Gradient methods on hand-computed cases of two or three fixed gradients, their invariances,
/// and training with each (no NaN, bit-exact resume).
@Suite("Gradient methods")
struct GradientMethodTests {
    func set(_ v: [Float]) -> ParameterSet { ParameterSet([("trunk.w", Tensor(v))]) }
    func run(_ method: inout some GradientMethod, _ rows: [[Float]]) -> [Double] {
        method.combine(rows.map(set), losses: rows.map { _ in 1 })["trunk.w"]!.scalars.map(Double.init)
    }
    func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-6) -> Bool {
        zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1)) }
    }

    /// g₁ = (1, 0), g₂ = (−1, 1) conflict: g₁ − (g₁·g₂/‖g₂‖²)g₂ = (½, ½), g₂ − (g₂·g₁/‖g₁‖²)g₁ = (0, 1).
    @Test func pcgradProjectsConflicts() {
        var method = PCGrad(seed: 0)
        #expect(close(run(&method, [[1, 0], [-1, 1]]), [0.5, 1.5]))
        #expect(close(run(&method, [[1, 0], [1, 1]]), [2, 1]), "no conflict: the plain sum")
        // Gradient Vaccine from a zero target does the same on its first step.
        var vaccine = GradVac(tasks: 2, seed: 0)
        #expect(close(run(&vaccine, [[1, 0], [-1, 1]]), [0.5, 1.5]))
    }

    /// MGDA's min-norm point: for g₁ = (2, 0), g₂ = (0, 1), ‖αg₁ + (1 − α)g₂‖² = 4α² + (1 − α)² is
    /// least at α = ⅕: d = (0.4, 0.8). Three gradients: checked against a fine grid on the simplex.
    @Test func mgdaFindsTheMinNormPoint() {
        var method = MGDA()
        #expect(close(run(&method, [[2, 0], [0, 1]]), [0.4, 0.8]))
        #expect(close(method.weights, [0.2, 0.8]))
        let rows: [[Float]] = [[1, 2, 0], [-1, 0.5, 1], [0.3, -1, 0.2]]
        let d = run(&method, rows)
        let norm = d.map { $0 * $0 }.reduce(0, +)
        var best = Double.infinity
        for i in 0...200 { for j in 0...(200 - i) {
            let a = [Double(i), Double(j), Double(200 - i - j)].map { $0 / 200 }
            let v = (0..<3).map { k in (0..<3).reduce(0.0) { $0 + a[$1] * Double(rows[$1][k]) } }
            best = Swift.min(best, v.map { $0 * $0 }.reduce(0, +))
        } }
        #expect(norm <= best + 1e-9, "\(norm) vs grid \(best)")
        // Parallel gradients: the shorter one is the min-norm point.
        #expect(close(run(&method, [[1, 1], [3, 3]]), [1, 1]))
        #expect(method.pendingNotes.isEmpty)
    }

    /// CAGrad with c = 0 is the mean gradient; with c > 0 its inner problem matches a grid search.
    @Test func cagrad() {
        var zero = CAGrad(c: 0)
        #expect(close(run(&zero, [[1, 0], [-1, 3]]), [0, 1.5]))
        var method = CAGrad(c: 0.4)
        let d = run(&method, [[1, 0], [-1, 3]])
        // Reference: the same formula with w from a grid of 100,001 points.
        let g: [[Double]] = [[1, 0], [-1, 3]], g0 = [0.0, 1.5]
        let radius = 0.4 * (g0[0] * g0[0] + g0[1] * g0[1]).squareRoot()
        var bestW = 0.0, bestF = Double.infinity
        for i in 0...100_000 {
            let w = Double(i) / 100_000
            let gw = [w * g[0][0] + (1 - w) * g[1][0], w * g[0][1] + (1 - w) * g[1][1]]
            let f = gw[0] * g0[0] + gw[1] * g0[1] + radius * (gw[0] * gw[0] + gw[1] * gw[1]).squareRoot()
            if f < bestF { (bestF, bestW) = (f, w) }
        }
        let gw = [bestW * g[0][0] + (1 - bestW) * g[1][0], bestW * g[0][1] + (1 - bestW) * g[1][1]]
        let lambda = radius / (gw[0] * gw[0] + gw[1] * gw[1]).squareRoot()
        let reference = [(g0[0] + lambda * gw[0]) / 1.16, (g0[1] + lambda * gw[1]) / 1.16]
        #expect(close(d, reference, 1e-4), "\(d) vs \(reference)")
        #expect(method.pendingNotes.isEmpty)
    }

    /// IMTL-G: equal projections onto every task's unit gradient, weights summing to 1, and the same
    /// direction when one task's loss (so its gradient) is scaled by 1000.
    @Test func imtlIsImpartialAndScaleInvariant() {
        var method = IMTLG()
        let rows: [[Float]] = [[1, 2, 0], [-1, 0.5, 1], [0.3, -1, 0.2]]
        let d = run(&method, rows)
        let projections = rows.map { r -> Double in
            let n = r.map { Double($0 * $0) }.reduce(0, +).squareRoot()
            return zip(d, r).reduce(0.0) { $0 + $1.0 * Double($1.1) } / n
        }
        #expect(projections.allSatisfy { Swift.abs($0 - projections[0]) < 1e-6 }, "\(projections)")
        #expect(Swift.abs(method.weights.reduce(0, +) - 1) < 1e-12)
        let scaled = run(&method, [rows[0], rows[1].map { $0 * 1000 }, rows[2]])
        let unit = { (v: [Double]) in v.map { $0 / v.map { $0 * $0 }.reduce(0, +).squareRoot() } }
        #expect(close(unit(scaled), unit(d), 1e-5), "\(scaled) vs \(d)")
        _ = run(&method, [[1, 1], [2, 2]])
        #expect(method.pendingNotes.count == 1, "parallel gradients: a note and the mean")
    }

    /// Aligned-MTL: orthogonal gradients of norms 3 and 1 are aligned to equal norms, d = (1, 1);
    /// scaling one task by 1000 changes the scale of d, not its direction.
    @Test func alignedMTL() {
        var method = AlignedMTL()
        #expect(close(run(&method, [[3, 0], [0, 1]]), [1, 1]))
        let scaled = run(&method, [[3, 0], [0, 1000]])
        #expect(Swift.abs(scaled[0] / scaled[1] - 1) < 1e-9, "\(scaled)")
        _ = run(&method, [[0, 0], [0, 0]])
        #expect(method.pendingNotes.count == 1)
    }

    /// Nash-MTL: every task's improvement gₜ·d equals 1/αₜ (the bargaining solution), and scaling a
    /// task's gradient by 1000 leaves d unchanged; opposite gradients (no direction improves both)
    /// have no solution: a note, and the previous weights.
    @Test func nashBargains() {
        var method = NashMTL()
        let rows: [[Float]] = [[1, 2, 0], [-1, 0.5, 1], [0.3, -1, 0.2]]
        let d = run(&method, rows)
        for (t, r) in rows.enumerated() {
            let improvement = zip(d, r).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            #expect(Swift.abs(improvement * method.weights[t] - 1) < 1e-5, "task \(t): \(improvement) · \(method.weights[t])")
        }
        var fresh = NashMTL()
        let scaled = run(&fresh, [rows[0], rows[1].map { $0 * 1000 }, rows[2]])
        #expect(close(scaled, d, 1e-5), "\(scaled) vs \(d)")
        var degenerate = NashMTL()
        _ = run(&degenerate, [[1, 0], [-1, 0]])
        #expect(degenerate.pendingNotes.count == 1, "\(degenerate.pendingNotes)")
        // Parallel gradients do have one: α = (½, ¼) for (1, 1) and (2, 2), d = (1, 1).
        var parallel = NashMTL()
        #expect(close(run(&parallel, [[1, 1], [2, 2]]), [1, 1], 1e-5))
    }

    /// GradNorm: with equal gradient norms, the task whose loss has fallen less (trains slower) gains weight; weights sum to T.
    @Test func gradnormFavoursTheSlowerTask() {
        var method = GradNorm(tasks: 2, layer: ["trunk.w"])
        let rows: [ParameterSet] = [set([1, 0]), set([0, 1])]
        _ = method.combine(rows, losses: [1, 1])
        for step in 1...20 { _ = method.combine(rows, losses: [1 - 0.04 * Double(step), 1]) }
        #expect(method.weights[1] > method.weights[0], "\(method.weights)")
        #expect(Swift.abs(method.weights.reduce(0, +) - 2) < 1e-9)
    }

    /// FAMO: the objective's gradient is zₜ/(c·Lₜ) per task loss; after losses fall at different
    /// rates the slower task gains weight; and the weights are the same when a task's losses are
    /// multiplied by 1000 (it works on log losses).
    @Test func famo() {
        func weights(_ scale: Float) -> [Double] {
            var method = FAMO(tasks: 2)
            for step in 0..<30 { _ = method.combine([Tensor(Float(1 - 0.02 * Double(step))), Tensor(scale * 1)], parameters: ParameterSet()) }
            return method.weights
        }
        let plain = weights(1), scaled = weights(1000)
        #expect(plain[1] > plain[0], "\(plain)")
        #expect(close(plain, scaled, 1e-6), "\(plain) vs \(scaled)")
        var method = FAMO(tasks: 2)
        let losses = [Tensor(Float(2)).requiringGradient(), Tensor(Float(0.5)).requiringGradient()]
        let objective = method.combine(losses, parameters: ParameterSet())
        let gradients = objective.gradients(wrt: losses).map { Double($0.scalar) }
        let z = method.weights, c = z[0] / 2 + z[1] / 0.5
        #expect(close(gradients, [z[0] / (c * 2), z[1] / (c * 0.5)], 1e-5), "\(gradients)")
    }

    /// DB-MTL: the first step's direction rescales each task's log-loss gradient gₜ/Lₜ to the largest
    /// norm (times 1 − β, the moving average from 0); scaling a task's loss by 1000 (its gradient and
    /// its loss) changes nothing.
    @Test func dbmtlBalancesLogGradients() {
        var method = DBMTL(tasks: 2)
        let d = method.combine([set([2, 0]), set([0, 1])], losses: [1, 0.5])["trunk.w"]!.scalars.map(Double.init)
        // ∇log L: (2, 0) and (0, 2); averages ×(1 − 0.9): (0.2, 0) and (0, 0.2); equal norms → d = (0.2, 0.2).
        #expect(close(d, [0.2, 0.2], 1e-6), "\(d)")
        var plain = DBMTL(tasks: 2), scaled = DBMTL(tasks: 2)
        for step in 0..<5 {
            let a = plain.combine([set([1, Float(step)]), set([-1, 2])], losses: [1, 2])["trunk.w"]!.scalars
            let b = scaled.combine([set([1, Float(step)]), set([-1000, 2000])], losses: [1, 2000])["trunk.w"]!.scalars
            #expect(close(a.map(Double.init), b.map(Double.init), 1e-5))
        }
    }

    /// GradDrop keeps every gradient of an entry whose signs agree, and draws by the seed.
    @Test func graddrop() {
        var method = GradDrop(seed: 1)
        #expect(close(run(&method, [[1, -2], [3, -1]]), [4, -3]))
        var a = GradDrop(seed: 7), b = GradDrop(seed: 7)
        let rows: [[Float]] = (0..<2).map { t in (0..<64).map { Float(sin(Double($0 * (t + 2)))) } }
        #expect(run(&a, rows) == run(&b, rows))
    }

    /// Every method trains without a NaN, and a stopped run resumes bit for bit (the methods'
    /// state — generators, targets — is saved).
    @Test(arguments: ["pcgrad", "mgda", "cagrad", "imtl", "aligned", "graddrop", "gradvac", "nash", "gradnorm", "dbmtl", "famo"])
    func trainsAndResumesExactly(name: String) throws {
        let data = try smallData()
        var config = smallConfig(epochs: 3)
        if name == "famo" { config.weighting = name } else { config.gradientMethod = name }
        let straight = temporaryDirectory(), stopped = temporaryDirectory()
        defer { for dir in [straight, stopped] { try? FileManager.default.removeItem(at: dir) } }
        let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
        let trainer = try Trainer(model: model, train: data.train, validation: data.validation, config: config, directory: straight)
        let summary = try trainer.run()
        #expect(summary.history.allSatisfy { $0.trainLoss.values.allSatisfy(\.isFinite) })
        var limited = config
        limited.maxSteps = 7
        do {  // the first process ends (and lets go of the directory) before the second starts
            let first = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: data.validation, config: limited, directory: stopped)
            _ = try first.run()
        }
        let resumed = try Trainer.resume(run: try RunDirectory.open(stopped), train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges())
        _ = try resumed.run()
        #expect(try Data(contentsOf: straight.appendingPathComponent("last.safetensors")) == Data(contentsOf: stopped.appendingPathComponent("last.safetensors")), "\(name)")
    }

    /// Tasks without labels in a batch are left out of the solvers (MGDA would otherwise stop at 0),
    /// FAMO leaves zero losses out of its weights, Nash-MTL copes with a 1e12 spread of loss scales,
    /// and parameters are checked.
    @Test func absentTasksExtremeScalesAndParameters() throws {
        var mgda = MGDA()
        let d = mgda.combine([set([1, 0]), set([0, 0])], losses: [1, 0], present: [true, false])["trunk.w"]!.scalars
        #expect(d == [1, 0], "the labelled task's gradient, not 0")
        var famo = FAMO(tasks: 2)
        let losses = [Tensor(Float(2)).requiringGradient(), Tensor(Float(0)).requiringGradient()]
        let objective = famo.combine(losses, parameters: ParameterSet())
        let gradients = objective.gradients(wrt: losses).map { Double($0.scalar) }
        #expect(Swift.abs(gradients[0] - 1) < 1e-6 && gradients[1] == 0, "c counts the present task only (so its gradient is z/(c·L) = 1): \(gradients)")
        var nash = NashMTL()
        let rows: [[Float]] = [[1, 2, 0], [-1, 0.5, 1], [0.3, -1, 0.2]]
        let plain = run(&nash, rows)
        var wide = NashMTL()
        let scaled = run(&wide, [rows[0], rows[1].map { $0 * 1e12 }, rows[2]])
        #expect(wide.pendingNotes.isEmpty && close(scaled, plain, 1e-4), "\(scaled) vs \(plain)")
        for bad in ["pcgrad:5", "cagrad:0x10", "cagrad:", "cagrad:20", "gradnorm:1e300", "mgda:2"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try GradientMethods.make(bad, tasks: 2, seed: 0) }
        }
        var config = TrainingConfig()
        config.gradientMethod = "pcgrad"
        config.weighting = "uw"
        let tasks = [TaskSpec(name: "a", kind: .regression), TaskSpec(name: "b", kind: .regression)]
        #expect(throws: ConfigurationError.self) { try config.validate(tasks: tasks) }
    }

    /// A task without labels in some batches is reported once in the log and per epoch in the metrics.
    @Test func missingLabelsAreReported() throws {
        var data = try smallData()
        var labels = data.train.labels["task0"]!.scalars
        for i in labels.indices where i % 10 != 0 { labels[i] = .nan }
        data.train.labels["task0"] = Tensor(labels)
        var config = smallConfig(epochs: 1)
        config.gradientMethod = "mgda"
        config.batchSize = 4
        let trainer = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: data.validation, config: config)
        var logged: [String] = []
        trainer.onEvent = { if case .note(let text) = $0 { logged.append(text) } }
        let summary = try trainer.run()
        #expect(logged.filter { $0.contains("task 'task0' has no labels") }.count == 1, "\(logged)")
        #expect(summary.history[0].notes?.contains { $0.contains("task 'task0' has no labels") && $0.contains("steps)") } == true)
    }

    /// Rep-grad: with the plain sum, the gradient pulled back from the representation equals the
    /// parameters' own (to float rounding); methods run there, train and resume bit for bit; GradNorm,
    /// DB-MTL (whose averages would mix different batches' examples) and a missing method are refused.
    @Test func representationGradients() throws {
        let data = try smallData()
        func weightsAfter(_ rep: Bool, method: String, steps: Int) throws -> ParameterSet {
            var config = smallConfig(epochs: 1)
            (config.gradientMethod, config.representationGradients, config.maxSteps) = (method, rep, steps)
            let model = try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0)
            _ = try Trainer(model: model, train: data.train, validation: data.validation, config: config).run()
            return model.network.parameters()
        }
        let viaParameters = try weightsAfter(false, method: "sum", steps: 3), viaRepresentation = try weightsAfter(true, method: "sum", steps: 3)
        for name in viaParameters.names {
            #expect(zip(viaParameters[name]!.scalars, viaRepresentation[name]!.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(1, Swift.abs($0)) }, "\(name)")
        }
        for method in ["mgda", "pcgrad", "nash", "gradvac"] {
            var config = smallConfig(epochs: 2)
            (config.gradientMethod, config.representationGradients) = (method, true)
            let straight = temporaryDirectory(), stopped = temporaryDirectory()
            defer { for dir in [straight, stopped] { try? FileManager.default.removeItem(at: dir) } }
            _ = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: data.validation, config: config, directory: straight).run()
            var limited = config
            limited.maxSteps = 5
            do { _ = try Trainer(model: try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: 0), train: data.train, validation: data.validation, config: limited, directory: stopped).run() }
            _ = try Trainer.resume(run: try RunDirectory.open(stopped), train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges()).run()
            #expect(try Data(contentsOf: straight.appendingPathComponent("last.safetensors")) == Data(contentsOf: stopped.appendingPathComponent("last.safetensors")), "\(method)")
        }
        var config = smallConfig(epochs: 1)
        config.representationGradients = true
        #expect(throws: ConfigurationError.self) { try config.validate(tasks: data.tasks) }
        for method in ["gradnorm", "dbmtl"] {
            config.gradientMethod = method
            #expect(throws: ConfigurationError.self) { try config.validate(tasks: data.tasks) }
        }
    }
}
