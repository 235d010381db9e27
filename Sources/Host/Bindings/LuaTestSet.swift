import CLua
import CLuaBridge
import Native

/// The test mashups as the model sees them (`mm.data.test_set(ds, {...})`), each cut into
/// `views` views for test-time augmentation (view 1 the clip itself, view v rotated by
/// (v - 1) x `shift` seconds).
final class TestSetObject: LuaObject, Sendable {
    let test: TestMashups

    init(_ test: TestMashups) { self.test = test }

    static let luaTypeName = "mashup.test_set"

    var luaDescription: String {
        "test set: \(test.items.count) mashups, \(test.views) view\(test.views == 1 ? "" : "s"), input \(test.input.bins) x \(test.input.frames)"
    }

    /// `t.views`.
    static let properties: Properties = ["views": { $0.test.views }]

    /// Returns items `first ..< first + count` (0-based): their ids, and one (n, 1, bins,
    /// frames) tensor per view.
    func batch(_ lua: Lua, first: Int, count: Int) throws -> Int32 {
        let range = first..<min(test.items.count, first + count)
        let views = try test.batches(range)
        return try lua.result(test.items[range].map(\.id), views.map { TensorObject($0.x) })
    }

    static func batchSize(_ lua: Lua, _ index: Int32) throws -> Int {
        let n = try lua.integer(index, default: 16)
        guard n >= 1 else { throw LuaError.argument(index, "batch size >= 1 expected, got \(n)") }
        return n
    }

    static let methods: [Binding] = [
        // t:ids() -> the ids in test.csv's order.
        Binding("ids") { lua in try lua.result(receiver(lua).test.items.map(\.id)) },
        // t:batch(i [, n = 16]) -> ids, views: mashups i .. i + n - 1 (1-based), views[v] a
        // tensor (n, 1, bins, frames), decoded in parallel.
        Binding("batch") { lua in
            let t = try receiver(lua)
            let i = try lua.integer(2)
            guard (1...max(1, t.test.items.count)).contains(i), !t.test.items.isEmpty else {
                throw LuaError.argument(2, "mashup 1 ... \(t.test.items.count) expected, got \(i)")
            }
            return try t.batch(lua, first: i - 1, count: try batchSize(lua, 3))
        },
        // t:batches([n = 16]) -> an iterator: `for ids, views in t:batches(16) do ... end`.
        Binding("batches") { lua in
            _ = try receiver(lua)
            let n = try batchSize(lua, 2)
            lua_pushvalue(lua.L, 1)
            try lua.push(n)
            try lua.push(0)
            next.push(lua.L, upvalues: 3)
            return 1
        },
    ]

    /// The iterator of `batches`: upvalues 2, 3, 4 hold the test set, the batch size and the
    /// items done so far.
    static let next = Binding("next") { lua in
        guard let t = TestSetObject.peek(lua.L, Binding.upvalue(1)) else {
            throw LuaError.message("the test set has been released")
        }
        let n = Int(clua_tointeger(lua.L, Binding.upvalue(2)))
        let done = Int(clua_tointeger(lua.L, Binding.upvalue(3)))
        guard done < t.test.items.count else { return lua.resultNil() }
        try lua.push(done + n)
        clua_replace(lua.L, Binding.upvalue(3))
        return try t.batch(lua, first: done, count: n)
    }

    static let metamethods = [length { $0.test.items.count }]
}

extension LuaData {
    /// mm.data.test_set(ds [, {views = 1, shift = 5, rate = 22050, seconds = 30, n_mels =, ...}])
    /// -> the test mashups, loaded mono at `rate` (resampled if needed), fitted to `seconds`.
    static let testSet = Binding("test_set") { lua in
        let dataSet = try lua.object(1, as: DataSetObject.self)
        let o = try lua.options(2, only: BuilderObject.inputFields.union(["views", "shift", "rate"]))
        let rate = try o.integer("rate", default: 22_050)
        guard (1000...384_000).contains(rate) else {
            throw o.invalid("rate", "a sample rate of 1000 ... 384000 Hz expected, got \(rate)")
        }
        let input = try BuilderObject.inputOptions(o, rate: rate)
        let views = try o.integer("views", default: 1)
        let shift = try o.number("shift", default: 5)
        let test = try o.naming(["views"], renamed: ["shift_seconds": "shift"]) {
            try TestMashups(dataSet.dataSet, input: input, views: views, shiftSeconds: shift)
        }
        return try lua.result(TestSetObject(test))
    }
}
