import CLua
import Native

/// `mm.optim.ema(net, {decay = 0.999})`: the exponential moving average of a network's weights
/// (Native's `WeightAverage`). `ema:update()` after each optimiser step; `ema:swap()` puts the
/// average into the network (and the live weights aside) until the next `swap`, so that
/// `net:predict`, `net:save` and evaluation use it.
final class WeightAverageObject: LuaObject {
    let average: WeightAverage
    /// The network it averages, kept alive with it.
    let module: ModuleObject

    init(_ average: WeightAverage, of module: ModuleObject) { (self.average, self.module) = (average, module) }

    static let luaTypeName = "mashup.ema"

    var luaDescription: String {
        "ema: decay \(average.decay), \(average.updates) updates\(average.swapped ? ", in the network" : "")"
    }

    /// `ema.decay`, `ema.updates`, `ema.swapped` (true while the network holds the average).
    static let properties: Properties = [
        "decay": { $0.average.decay },
        "updates": { $0.average.updates },
        "swapped": { $0.average.swapped },
    ]

    static let methods: [Binding] = [
        // ema:update(): moves the average towards the network's weights.
        Binding("update") { lua in try receiver(lua).average.update() },
        // ema:swap(): exchanges the network's weights and the average; returns ema.swapped.
        Binding("swap") { lua in
            let average = try receiver(lua).average
            average.swap()
            return try lua.result(average.swapped)
        },
    ]

    /// mm.optim.ema(net [, {decay = 0.999}]) -> the average, starting at the network's weights.
    static func make(_ lua: Lua) throws -> Int32 {
        let net = try lua.object(1, as: ModuleObject.self)
        let options = try lua.options(2, only: ["decay"])
        let decay = try options.number("decay", default: 0.999)
        guard decay.isFinite, decay > 0, decay < 1 else {
            throw options.invalid("decay", "a number in (0, 1) expected, like 0.999, got \(decay)")
        }
        return try lua.result(WeightAverageObject(try WeightAverage(net.module, decay: decay), of: net))
    }
}
