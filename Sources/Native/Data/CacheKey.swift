import Foundation

/// A 128-bit key for cached results: two FNV-1a 64 hashes (different offset bases) of a
/// canonical text describing everything the result depends on.
enum CacheKey {
    static func hash(_ text: String) -> String {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325
        var b: UInt64 = 0x6C62_272E_07BB_0142
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return String(format: "%016llx%016llx", a, b)
    }

    /// `value` as text that is the same in every process: fields by name, sets sorted (a Set's
    /// own order depends on the process's hash seed).
    static func canonical(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .class?:
            return "{" + mirror.children.map { "\($0.label ?? "_")=\(canonical($0.value))" }.joined(separator: ",")
                + "}"
        case .set?:
            return "[" + mirror.children.map { canonical($0.value) }.sorted().joined(separator: ",") + "]"
        case .collection?, .tuple?:
            return "[" + mirror.children.map { canonical($0.value) }.joined(separator: ",") + "]"
        default:
            return String(describing: value)
        }
    }
}
