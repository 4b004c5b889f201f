import NN
import Tensors

/// Merging models held in memory (`ParameterSet`s) by any `MergeMethod`: the same engine as
/// `mtk merge` on files, so both give the same bits.
public enum ModelMerge {
    /// Merges `models` (with `inputs` giving each one's weight and density) into one model whose
    /// names are in the base's order (the first model's without one). Every model, the base and
    /// each Fisher must hold the same names and shapes. Tensors that `include` rejects (a task's
    /// own head, say) are copied from the base, or the first model when there is none.
    public static func merge(_ models: [ParameterSet], base: ParameterSet? = nil, inputs: [MergeInput], settings: MergeSettings,
                             fishers: [ParameterSet] = [], include: (String) -> Bool = { _ in true }) throws -> ParameterSet {
        try settings.check(inputs)
        guard models.count == inputs.count else { throw ConfigurationError("merge: \(models.count) models but \(inputs.count) inputs") }
        if settings.method.needsBase && base == nil { throw ConfigurationError("merge: \(settings.method.rawValue) needs a base model") }
        if settings.method == .fisher && fishers.count != models.count {
            throw ConfigurationError("merge: fisher merging needs one Fisher per model (\(models.count)), got \(fishers.count)")
        }
        let reference = base ?? models[0]
        var sets: [(MergeRole, ParameterSet)] = models.enumerated().map { (.model($0), $1) }
        if let base { sets.append((.base, base)) }
        if settings.method == .fisher { sets += fishers.enumerated().map { (.fisher($0), $1) } }
        for (role, set) in sets { try sameLayout(set, as: reference, role: role) }
        let names = reference.names
        let layout: [MergeEngine.Tensor] = names.map { name in
            MergeEngine.Tensor(name: name, count: reference[name]!.count, source: include(name) ? nil : (base == nil ? .model(0) : .base))
        }
        let scalars = Dictionary(uniqueKeysWithValues: sets.map { role, set in (role, names.map { set[$0]!.scalars }) })
        let engine = MergeEngine(settings: settings, inputs: inputs, tensors: layout) { role, position, range, buffer in
            scalars[role]![position].withUnsafeBufferPointer { source in
                _ = buffer.initialize(from: UnsafeBufferPointer(rebasing: source[range]))
            }
        }
        if let (i, message) = settings.vanishingDrop(inputs, tensors: layout.filter { $0.source == nil }.map { ($0.name, $0.count) }) {
            throw ConfigurationError("merge: models[\(i)].parameters.density: \(message)")
        }
        var prepared = try engine.prepare()
        var result = ParameterSet()
        for (position, name) in names.enumerated() {
            var values: [Float] = []
            values.reserveCapacity(layout[position].count)
            try engine.produce(position, prepared: &prepared) { values.append(contentsOf: $0) }
            result.insert(name, Tensor(shape: reference[name]!.shape, scalars: values))
        }
        return result
    }

    private static func sameLayout(_ set: ParameterSet, as reference: ParameterSet, role: MergeRole) throws {
        let what = role.description
        let missing = reference.names.filter { set[$0] == nil }, extra = set.names.filter { reference[$0] == nil }
        guard missing.isEmpty && extra.isEmpty else {
            throw ConfigurationError("merge: \(what) does not hold the same tensors: missing \(missing.prefix(5)), extra \(extra.prefix(5))")
        }
        for name in reference.names where set[name]!.shape != reference[name]!.shape {
            throw ConfigurationError("merge: \(what): '\(name)' has shape \(set[name]!.shape), expected \(reference[name]!.shape)")
        }
    }
}
