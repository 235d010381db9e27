import CLua
import Native

/// A generator handed to augmentations (`rng`): the example's own stream in a loader, so a
/// Lua augmentation that draws from it, and the native augmentations it applies with it, give
/// the same result on any worker thread. `mm.augment.rng(seed)` makes one for a script.
final class RandomObject: LuaObject {
    var random: Random

    init(_ random: Random) { self.random = random }

    static let luaTypeName = "mashup.random"

    var luaDescription: String { "random generator" }

    static let methods: [Binding] = [
        // rng:uniform([low, high]) -> a number in [low, high), [0, 1) by default.
        Binding("uniform") { lua in
            let r = try receiver(lua)
            let low = try lua.number(2, default: 0)
            let high = try lua.number(3, default: lua.isNoneOrNil(2) ? 1 : low)
            guard low.isFinite, high.isFinite, low <= high else {
                throw LuaError.argument(3, "finite low <= high expected, got \(low), \(high)")
            }
            return try lua.result(r.random.uniform(low, high))
        },
        // rng:normal([mean [, std]]) -> a Gaussian draw.
        Binding("normal") { lua in
            let r = try receiver(lua)
            let mean = try lua.number(2, default: 0)
            let std = try lua.number(3, default: 1)
            guard std >= 0 else { throw LuaError.argument(3, "standard deviation >= 0 expected, got \(std)") }
            return try lua.result(mean + std * r.random.normal())
        },
        // rng:int(m, n) -> an integer in m..n.
        Binding("int") { lua in
            let r = try receiver(lua)
            let (low, high) = (try lua.integer(2), try lua.integer(3))
            guard low <= high else { throw LuaError.argument(3, "interval is empty") }
            return try lua.result(r.random.int(in: low...high))
        },
        // rng:chance(p) -> true with probability p.
        Binding("chance") { lua in
            let r = try receiver(lua)
            let p = try lua.number(2)
            return try lua.result(r.random.uniform() < p)
        },
    ]
}
