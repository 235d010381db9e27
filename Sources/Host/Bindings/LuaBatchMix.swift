import CLua
import Native

extension LuaData {
    /// mm.data.mixup(x, labels [, {alpha = 0.4, classes = 10, seed =}]) and mm.data.cutmix(...)
    /// -> mixed x (a new N x 1 x bins x frames tensor), soft targets (N x classes, rows summing
    /// to 1). `labels` is a table of 1-based labels or an (N, classes) tensor of soft targets
    /// (mixing twice); λ ~ Beta(α, α) from `seed`, or from the process generator (mm.seed).

    static func mix(_ lua: Lua, _ method: BatchMix.Method) throws -> Int32 {
        let x = try lua.object(1, as: TensorObject.self).tensor
        guard x.rank == 4, x.shape[0] >= 1 else {
            throw LuaError.argument(1, "a batch of shape (N, 1, bins, frames) expected, got \(x.shape)")
        }
        let o = try lua.options(3, only: ["classes", "alpha", "seed"])
        let classes = try o.integer("classes", default: Genre.allCases.count)
        guard classes >= 1 else { throw o.invalid("classes", "at least 1 class expected, got \(classes)") }
        let n = x.shape[0]
        _ = try checkTensorShape([n, classes], for: "the soft targets")
        var batch: Batch
        if let soft = TensorObject.peek(lua.L, 2)?.tensor, soft.rank == 2 {
            guard soft.shape == [n, classes] else {
                throw LuaError.argument(2, "soft targets of shape (\(n), \(classes)) expected, got \(soft.shape)")
            }
            let rows = (0..<n).map { i in (0..<classes).max { soft[i * classes + $0] < soft[i * classes + $1] }! }
            batch = Batch(x: x, labels: rows, targets: soft, classes: classes)
        } else {
            batch = Batch(x: x, labels: try LuaNN.classLabels(lua, 2, rows: n, classes: classes), classes: classes)
        }
        let mixer = try o.naming(["alpha"]) { try BatchMix(method, alpha: try o.number("alpha", default: 0.4)) }
        var random = Random(seed: try o.seed(default: Engine.withRandom { $0.next() }))
        batch = try mixer.apply(batch, random: &random, worker: 0)
        return try lua.result(TensorObject(batch.x), TensorObject(batch.softTargets))
    }
}
