import CLua
import Native

/// Every stem and noise clip of a data set decoded once into memory (`mm.data.bank`), shared
/// by the builders made from it.
final class StemBankObject: LuaObject, Sendable {
    let bank: StemBank
    let dataSet: DataSetObject

    init(_ bank: StemBank, of dataSet: DataSetObject) { (self.bank, self.dataSet) = (bank, dataSet) }

    static let luaTypeName = "mashup.stem_bank"

    var luaDescription: String {
        "stem bank: \(bank.stems.count) songs x 4 stems + \(bank.noise.count) noise clips, "
            + "mono \(bank.options.rate) Hz \(bank.precision.rawValue), "
            + String(format: "%.3f GiB", Double(bank.bytes) / Double(1 << 30))
    }

    /// `bank.bytes`, `bank.rate`, `bank.precision`, `bank.dataset`.
    static let properties: Properties = [
        "bytes": { $0.bank.bytes },
        "rate": { $0.bank.options.rate },
        "precision": { $0.bank.precision.rawValue },
        "dataset": { $0.dataSet },
    ]

    /// The bank a builder or cache draws from: the object at `index` if it is a bank, else the
    /// default bank of the data set at `index` (decoded once per data set); nil for anything else.
    static func resolve(_ lua: Lua, _ index: Int32) throws -> StemBankObject? {
        if let bank = StemBankObject.peek(lua.L, index) { return bank }
        if let dataSet = DataSetObject.peek(lua.L, index) { return StemBankObject(try dataSet.bank(), of: dataSet) }
        return nil
    }

    static let expected = "data set (mm.data.kaggle) or stem bank (mm.data.bank)"
}

extension LuaData {
    /// mm.data.bank(ds [, {precision = "auto"|"float32"|"float16", budget_gb =, rate = 22050}])
    /// -> every stem and noise clip decoded in parallel, mono at `rate`; "auto" stores float32
    /// when that fits in the budget, else float16.
    /// Throws before decoding when the headers say it would not fit in `budget_gb`.
    static let bank = Binding("bank") { lua in
        let dataSet = try lua.object(1, as: DataSetObject.self)
        let o = try lua.options(2, only: ["precision", "budget_gb", "rate"])
        var options = StemBankOptions()
        let precision = try o.choice(
            "precision", ["auto"] + SamplePrecision.allCases.map(\.rawValue), default: "auto")
        options.precision = SamplePrecision(rawValue: precision)
        if let gib = try o.number("budget_gb") {
            guard gib.isFinite, gib > 0, gib < 1e6 else {
                throw o.invalid("budget_gb", "a positive number of GiB expected, got \(gib)")
            }
            options.memoryBudget = Int(gib * Double(1 << 30))
        }
        options.rate = try o.integer("rate", default: options.rate)
        let bank = try o.naming(["rate", "budget_gb"]) {
            do {
                return try StemBank(dataSet.dataSet, options: options)
            } catch let error as DataError where error.subject == "memory_budget" {
                throw DataError(
                    "budget_gb",
                    error.reason.replacingOccurrences(of: "raise memory_budget", with: "raise budget_gb"))
            }
        }
        return try lua.result(StemBankObject(bank, of: dataSet))
    }
}
