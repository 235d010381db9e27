import CLua

extension Lua {
    /// Class labels at `index`, returned 0-based. Lua gives them 1-based: a sequence of class
    /// numbers (or, when `names` is given, class names such as "jazz"), or a 1-D tensor of class
    /// numbers. Scores (N x C logits or probabilities) become labels through `t:argmax()`.
    func classLabels(_ index: Int32, classes: Int, names: [String]? = nil) throws -> [Int] {
        var labels: [Int]
        if let t = TensorObject.peek(L, index)?.tensor {
            guard t.rank == 1 else {
                throw LuaError.argument(
                    index,
                    "a 1-D tensor of labels expected, got shape \(t.shape) (t:argmax() gives the labels of scores)")
            }
            labels = try t.array.enumerated().map { i, v in
                guard let label = Int(exactly: v) else {
                    throw LuaError.argument(index, "label \(i + 1) is \(v), not an integer")
                }
                return label
            }
        } else {
            guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table of labels or tensor") }
            let numbers = Dictionary((names ?? []).enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { a, _ in a })
            let kind = names == nil ? "integer" : "integer or class name"
            labels = try sequence(index, of: kind, item: "label") { lua in
                if let label = Lua.integerEntry(lua) { return label }
                guard names != nil, let name = try Lua.stringEntry(lua) else { return nil }
                guard let label = numbers[name] else {
                    throw LuaError.argument(
                        index, "label '\(name)' is not a class name; expected one of \(names!.joined(separator: ", "))")
                }
                return label
            }
        }
        if let (i, bad) = labels.enumerated().first(where: { $0.element < 1 || $0.element > classes }) {
            throw LuaError.argument(index, "label \(i + 1) is \(bad), expected a class 1 ... \(classes)")
        }
        return labels.map { $0 - 1 }
    }
}
