/// Which input a merge reads: the base model, model i, or model i's diagonal Fisher.
enum MergeRole: Hashable, Sendable, CustomStringConvertible {
    case base, model(Int), fisher(Int)

    /// Named as in a merge config: `base_model`, `models[0]`, `models[0].parameters.fisher`.
    var description: String {
        switch self {
        case .base: "base_model"
        case .model(let i): "models[\(i)]"
        case .fisher(let i): "models[\(i)].parameters.fisher"
        }
    }
}

/// The merge of a whole checkpoint, tensor by tensor and chunk by chunk, from any source of
/// tensors (memory or memory-mapped files): the one code path behind `ModelMerge` and
/// `mtk merge`. Peak memory is a few chunks per model, whatever the tensors' sizes.
struct MergeEngine {
    /// One output tensor: merged, or copied from `source` (a tensor the name filters leave out).
    struct Tensor {
        var name: String
        var count: Int
        var source: MergeRole?
    }

    /// Reads elements `range` of tensor `position` of `role` into the buffer (of the same count).
    typealias Read = (_ role: MergeRole, _ position: Int, _ range: Range<Int>, _ into: UnsafeMutableBufferPointer<Float>) throws -> Void
    /// Says that elements `range` of tensor `position` of `role` will not be read again soon.
    typealias Release = (_ role: MergeRole, _ position: Int, _ range: Range<Int>) -> Void
    /// Names a role for error messages (its config key, and its file when there is one).
    typealias Describe = (MergeRole) -> String

    let settings: MergeSettings
    let inputs: [MergeInput]
    let tensors: [Tensor]
    let read: Read
    var release: Release = { _, _, _ in }
    var describe: Describe = \.description
    /// Checked before every chunk; true stops the merge with `MergeInterrupted`.
    var shouldStop: () -> Bool = { false }

    /// Entries per chunk: 256 KiB of Float per input, small enough to stay in cache.
    static let chunk = 1 << 16

    private var merged: [Int] { tensors.indices.filter { tensors[$0].source == nil } }

    /// What the passes before the first output need: TIES's whole-model cuts and the Fishers' norms.
    struct Prepared {
        var globalCuts: [MagnitudeCut]?
        var fisherScales: [Double]?
    }

    /// Runs the passes over the inputs that must precede any output (none for most methods).
    func prepare() throws -> Prepared {
        var prepared = Prepared()
        let models = inputs.indices
        if settings.method == .ties && settings.trimScope == .global {
            let total = merged.reduce(0) { $0 + tensors[$1].count }
            prepared.globalCuts = try models.map { i in
                try MagnitudeCut.keeping(density: inputs[i].density, of: total, what: "\(describe(.model(i)))'s merged tensors") { visit in
                    for t in merged { try deltas(model: i, tensor: t, visit) }
                }
            }
        }
        if settings.method == .fisher {
            prepared.fisherScales = try models.map { i in
                guard settings.normalizeFishers else { return inputs[i].weight }
                var squares = 0.0
                for t in merged {
                    try chunks(of: t, roles: [.fisher(i)], check: true) { _, buffers in
                        for f in buffers[0] { squares += Double(f) * Double(f) }
                    }
                }
                guard squares > 0 else { throw ConfigurationError("merge: fisher: \(describe(.fisher(i))) is zero everywhere on the merged tensors, so it cannot be normalised") }
                return inputs[i].weight / squares.squareRoot()
            }
        }
        return prepared
    }

    /// Produces output tensor `position`, chunk by chunk, in order.
    func produce(_ position: Int, prepared: inout Prepared, emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let tensor = tensors[position]
        if let source = tensor.source {
            try chunks(of: position, roles: [source], check: true) { _, buffers in try emit(UnsafeBufferPointer(buffers[0])) }
            return
        }
        let models = inputs.indices
        var roles = models.map { MergeRole.model($0) }
        if settings.method.needsBase { roles.insert(.base, at: 0) }
        if settings.method == .fisher { roles += models.map { MergeRole.fisher($0) } }
        var cuts = [MagnitudeCut](repeating: .all, count: inputs.count)
        if settings.method == .ties {
            cuts = try prepared.globalCuts ?? models.map { i in
                try MagnitudeCut.keeping(density: inputs[i].density, of: tensor.count, what: "'\(tensor.name)'") { visit in
                    try deltas(model: i, tensor: position, visit)
                }
            }
        }
        let key = DAREMerge.key(seed: settings.seed, tensor: tensor.name)
        let weights = inputs.map(\.weight)
        var out = [Float](repeating: 0, count: Swift.min(MergeEngine.chunk, tensor.count))
        try chunks(of: position, roles: roles, check: true) { range, buffers in
            try out.withUnsafeMutableBufferPointer { whole in
                let target = UnsafeMutableBufferPointer(rebasing: whole[..<range.count])
                let views = buffers.map { UnsafeBufferPointer($0) }
                let offset = settings.method.needsBase ? 1 : 0
                let chunk = MergeChunk(base: offset == 1 ? views[0] : nil, models: Array(views[offset ..< offset + inputs.count]),
                                       fishers: Array(views[(offset + inputs.count)...]), offset: range.lowerBound, out: target)
                switch settings.method {
                case .linear: LinearMerge.run(chunk, weights: weights, normalize: settings.normalize)
                case .taskArithmetic: TaskArithmetic.run(chunk, weights: weights, normalize: settings.normalize, lambda: settings.lambda)
                case .ties: TIESMerge.run(chunk, weights: weights, normalize: settings.normalize, lambda: settings.lambda, cuts: &cuts)
                case .dareLinear, .dareTies:
                    DAREMerge.run(chunk, inputs: inputs, normalize: settings.normalize, lambda: settings.lambda, ties: settings.method == .dareTies,
                                   rescale: settings.rescale, key: key)
                case .fisher: FisherMerge.run(chunk, scales: prepared.fisherScales!, floor: settings.fisherFloor, favorFirst: settings.favorFirst)
                }
                if Self.hasNonFinite(UnsafeBufferPointer(target)) {
                    let culprit = target.first { !$0.isFinite }!
                    throw ConfigurationError("merge: tensor '\(tensor.name)': the merged values overflow Float32 (\(culprit)); lambda or the weights are too large")
                }
                try emit(UnsafeBufferPointer(target))
            }
        }
        if prepared.globalCuts != nil { prepared.globalCuts = cuts }  // the tie quota carries on to the next tensor
    }

    /// Visits model i's task-vector entries δ = θᵢ − θ_b of tensor `position` (in Float, as TIES ranks them).
    private func deltas(model i: Int, tensor position: Int, _ visit: (UnsafeBufferPointer<Float>) -> Void) throws {
        try chunks(of: position, roles: [.base, .model(i)], check: true) { _, buffers in
            let (base, model) = (buffers[0], buffers[1])
            for j in model.indices { model[j] -= base[j] }
            visit(UnsafeBufferPointer(model))
        }
    }

    /// Reads tensor `position` of each role a chunk at a time into reused buffers, calls `body`,
    /// then releases what was read. With `check`, a value that is NaN or infinite (or a negative
    /// Fisher) stops the merge with an error naming the input and the tensor.
    private func chunks(of position: Int, roles: [MergeRole], check: Bool = false,
                        _ body: (Range<Int>, [UnsafeMutableBufferPointer<Float>]) throws -> Void) throws {
        let count = tensors[position].count
        let size = Swift.min(MergeEngine.chunk, Swift.max(count, 1))
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: size * roles.count)
        defer { storage.deallocate() }
        for start in stride(from: 0, to: count, by: size) {
            if shouldStop() { throw MergeInterrupted() }
            let range = start ..< Swift.min(start + size, count)
            let buffers = roles.indices.map { UnsafeMutableBufferPointer(start: storage + $0 * size, count: range.count) }
            for (role, buffer) in zip(roles, buffers) {
                try read(role, position, range, buffer)
                if check { try checkValues(buffer, role: role, position: position) }
            }
            try body(range, buffers)
            for role in roles { release(role, position, range) }
        }
    }

    /// Whether any value is NaN or infinite: one pass summing x·0, which is NaN exactly then.
    static func hasNonFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        var probe: Float = 0
        for x in values { probe += x * 0 }
        return probe.isNaN
    }

    private func checkValues(_ values: UnsafeMutableBufferPointer<Float>, role: MergeRole, position: Int) throws {
        if Self.hasNonFinite(UnsafeBufferPointer(values)) {
            throw ConfigurationError("merge: \(describe(role)): tensor '\(tensors[position].name)' holds NaN or infinite values")
        }
        if role.isFisher, values.contains(where: { $0 < 0 }) {
            throw ConfigurationError("merge: \(describe(role)): tensor '\(tensors[position].name)' holds negative values, which no Fisher diagonal has")
        }
    }
}

/// A merge stopped by its caller (Ctrl-C); nothing was written.
public struct MergeInterrupted: Error, CustomStringConvertible {
    public var description: String { "merge: stopped before the end; nothing was written" }
}
