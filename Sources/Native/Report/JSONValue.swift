import Foundation

/// A JSON document as a Swift value: what a run's config holds (the options a script ran
/// with, as nested tables of numbers, strings and booleans) and what a log line is.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON text: keys sorted so that equal values give equal files; `indent` > 0 puts
    /// each member on its own line. Integral numbers print without a fraction ("30", not
    /// "30.0"), others in the shortest form that reads back to the same double; NaN and the
    /// infinities, which JSON cannot hold, print as null.
    public func text(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent, depth: 0)
        return out
    }

    private func write(to out: inout String, indent: Int, depth: Int) {
        let newline = indent > 0 ? "\n" + String(repeating: " ", count: indent * (depth + 1)) : ""
        let closing = indent > 0 ? "\n" + String(repeating: " ", count: indent * depth) : ""
        let separator = indent > 0 ? "," : ", "
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let v):
            if !v.isFinite {
                out += "null"
            } else if v == v.rounded(), abs(v) < 9.007_199_254_740_992e15 {
                out += String(Int64(v))
            } else {
                out += "\(v)"
            }
        case .string(let s): out += Self.quoted(s)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                out += (i == 0 ? "" : separator) + newline
                item.write(to: &out, indent: indent, depth: depth + 1)
            }
            out += closing + "]"
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                out += (i == 0 ? "" : separator) + newline + Self.quoted(key) + ": "
                members[key]!.write(to: &out, indent: indent, depth: depth + 1)
            }
            out += closing + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Parses JSON text; `origin` (a file, a file and line) names the source in the error.
    public init(parsing text: String, origin: String) throws {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw ReportError(origin, "not valid JSON (\(Self.reason(error)))")
        }
    }

    private static func reason(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                ?? context.debugDescription
        }
        return "\(error)"
    }

    /// Where the first NaN or infinite number is (`value.weights[2]` under the name `place`, with
    /// the number), or nil: JSON has no such numbers, so a value holding one cannot be sent.
    public func firstNonFinite(at place: String = "the value") -> String? {
        switch self {
        case .number(let v): return v.isFinite ? nil : "\(place) (\(v))"
        case .array(let items):
            return items.enumerated().lazy.compactMap { $1.firstNonFinite(at: "\(place)[\($0 + 1)]") }.first
        case .object(let members):
            return members.sorted { $0.key < $1.key }.lazy.compactMap { $1.firstNonFinite(at: "\(place).\($0)") }.first
        default: return nil
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

extension JSONValue: Decodable {
    /// Tries each JSON type in turn: the decoder refuses a number as Bool and a Bool as a number,
    /// so `true` and `1` stay apart.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let v = try? container.decode(Double.self) {
            self = .number(v)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
