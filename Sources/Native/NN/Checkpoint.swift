/// Model weights as safetensors under PyTorch `state_dict` names: a file written here loads
/// into the equivalent PyTorch module with `load_state_dict`, and back.
extension Module {
    /// The state dict as safetensors values (floats as F32, counters as I64 scalars).
    public func stateTensors() -> [(name: String, value: SafeTensorValue)] {
        stateDict().map { name, entry in
            switch entry {
            case .tensor(let t): return (name, .f32(t))
            case .counter(let c): return (name, .i64(shape: [], values: [c.value]))
            }
        }
    }

    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(path, stateTensors(), metadata: metadata)
    }

    public func load(from path: String, strict: Bool = true) throws {
        do {
            try loadState(SafeTensors.read(path).tensors, strict: strict)
        } catch let e as NNError {
            throw NNError("loading '\(path)': \(e.message)")
        }
    }

    /// Copies `tensors` into this module's parameters and buffers. Strict (PyTorch's default)
    /// requires the names to match exactly; any mismatch throws one error listing the missing,
    /// unexpected and mis-shaped names and those holding NaN or infinite values, before anything
    /// is changed.
    public func loadState(_ tensors: [String: SafeTensorValue], strict: Bool = true) throws {
        let own = stateDict()
        let ownNames = Set(own.map(\.name))
        let missing = own.map(\.name).filter { tensors[$0] == nil }
        let unexpected = tensors.keys.filter { !ownNames.contains($0) }.sorted()
        var misshaped: [String] = []
        var nonFinite: [String] = []
        for (name, entry) in own {
            guard let value = tensors[name] else { continue }
            switch (entry, value) {
            case (.tensor(let t), .f32(let v)) where t.shape == v.shape:
                if !value.isFinite { nonFinite.append(name) }
            case (.counter, .i64(_, let v)) where v.count == 1: continue
            default:
                misshaped.append("\(name) (expected \(entry.shape), got \(value.shape)\(kindMismatch(entry, value)))")
            }
        }
        var problems: [String] = []
        if strict && !missing.isEmpty { problems.append("missing: \(missing.joined(separator: ", "))") }
        if strict && !unexpected.isEmpty { problems.append("unexpected: \(unexpected.joined(separator: ", "))") }
        if !misshaped.isEmpty { problems.append("mis-shaped: \(misshaped.joined(separator: ", "))") }
        if !nonFinite.isEmpty {
            problems.append("NaN or infinite values in: \(nonFinite.joined(separator: ", "))")
        }
        guard problems.isEmpty else {
            throw NNError("state dict does not match the model; " + problems.joined(separator: "; "))
        }
        try assignState(tensors)
    }

    /// Copies the entries of `tensors` that match this module's names and shapes, unchecked
    /// otherwise: for `loadState` after its checks, and for putting back a copy of the module's
    /// own state.
    func assignState(_ tensors: [String: SafeTensorValue]) throws {
        for (name, entry) in stateDict() {
            switch (entry, tensors[name]) {
            case (.tensor(let t), .f32(let v)?): try t.assign(v)
            case (.counter(let c), .i64(_, let v)?) where v.count == 1: c.value = v[0]
            default: continue
            }
        }
    }
}

private func kindMismatch(_ entry: StateEntry, _ value: SafeTensorValue) -> String {
    switch (entry, value) {
    case (.tensor, .i64): return ", integers where floats belong"
    case (.counter, .f32): return ", floats where an integer counter belongs"
    default: return ""
    }
}
