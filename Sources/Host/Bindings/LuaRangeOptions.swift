import CLua
import Native

/// Ranges in option tables: a field that a native recipe draws from uniformly takes either one
/// number (always that value) or a pair `{low, high}` (`stem_volume = {0.4, 1.0}`).
extension LuaOptions {
    /// `key` as a range of numbers, nil when the field is absent.
    func range(_ key: String) throws -> ClosedRange<Double>? {
        switch type(of: key) {
        case LUA_TNIL:
            return nil
        case LUA_TNUMBER:
            let value = try number(key)!
            guard value.isFinite else { throw invalid(key, "a finite number expected, got \(value)") }
            return value...value
        default:
            return try pair(key, try numbers(key) ?? [])
        }
    }

    func range(_ key: String, default value: ClosedRange<Double>) throws -> ClosedRange<Double> {
        try range(key) ?? value
    }

    /// `key` as a range of integers (`noise_clips = {1, 3}` or `noise_clips = 2`).
    func integerRange(_ key: String) throws -> ClosedRange<Int>? {
        switch type(of: key) {
        case LUA_TNIL:
            return nil
        case LUA_TNUMBER:
            let value = try integer(key)!
            return value...value
        default:
            let ends = try integers(key) ?? []
            let range = try pair(key, ends.map(Double.init))
            return Int(range.lowerBound)...Int(range.upperBound)
        }
    }

    private func pair(_ key: String, _ ends: [Double]) throws -> ClosedRange<Double> {
        guard ends.count == 2, ends.allSatisfy(\.isFinite) else {
            throw invalid(key, "a number or a pair {low, high} expected, got \(ends.count) values")
        }
        guard ends[0] <= ends[1] else { throw invalid(key, "low <= high expected, got {\(ends[0]), \(ends[1])}") }
        return ends[0]...ends[1]
    }

    /// A seed field as the native generators take it (any integer; negative ones by their bits).
    func seed(_ key: String = "seed", default value: UInt64) throws -> UInt64 {
        try integer(key).map { UInt64(bitPattern: Int64($0)) } ?? value
    }
}
