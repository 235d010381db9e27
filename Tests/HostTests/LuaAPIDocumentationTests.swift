import Foundation
import XCTest

@testable import Host

/// docs/lua-api.md cannot drift from the bindings: every function reachable from `mm` and every
/// method of every registered userdata type is documented, and every `mm.` name the document
/// mentions exists.
///
/// Conventions the document follows (and this test reads):
/// - functions appear as `mm.module.name` (or `mm.name` for the core module), anywhere;
/// - the methods of a userdata type are listed on lines "- `obj:name(args)`: meaning" (or
///   `obj:name{options}`; several on one line) in the section whose heading names the type's
///   `__name` in backquotes ("### Audio buffer methods (`mashup.audio`)"), which runs to the
///   next heading of level 2 or 3.
final class LuaAPIDocumentationTests: XCTestCase {
    static let documentURL = LuaFixtures.root.appendingPathComponent("docs/lua-api.md")

    /// What a fresh state exposes: every name reachable from `mm` (functions and other fields,
    /// through sub-tables) and the methods of each userdata type by its `__name`.
    struct API {
        var functions: Set<String> = []
        var names: Set<String> = []
        var methods: [String: Set<String>] = [:]
    }

    static func boundAPI() throws -> API {
        // Walked with raw access only (next, rawget), so no metamethod of ours runs.
        let lines =
            try LuaState().evaluate(
                """
                local out, seen = {}, {}
                local function walk(t, prefix)
                  seen[t] = true
                  for k, v in next, t do
                    if type(k) == "string" then
                      local name = prefix .. "." .. k
                      out[#out + 1] = (type(v) == "function" and "F " or "N ") .. name
                      if type(v) == "table" and not seen[v] then walk(v, name) end
                    end
                  end
                end
                walk(mm, "mm")
                for k, v in next, debug.getregistry() do
                  if type(k) == "string" and type(v) == "table" and rawget(v, "__mashup_object") then
                    out[#out + 1] = "T " .. k
                    for m in next, rawget(v, "__methods") do out[#out + 1] = "M " .. k .. " " .. m end
                  end
                end
                return table.concat(out, "\\n")
                """
            ).first ?? nil
        var api = API()
        for line in (lines ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            switch parts[0] {
            case "F":
                api.functions.insert(parts[1])
                api.names.insert(parts[1])
            case "N": api.names.insert(parts[1])
            case "T": if api.methods[parts[1]] == nil { api.methods[parts[1]] = [] }
            default: api.methods[parts[1], default: []].insert(parts[2])
            }
        }
        return api
    }

    static func document() throws -> String {
        try String(contentsOf: documentURL, encoding: .utf8)
    }

    /// The methods each userdata type's section lists, by the type's `__name`: the
    /// `obj:name(` (or `obj:name{`) in backquotes on the section's "- " lines. Examples in the
    /// section do not count, so a method that only an example calls is still undocumented.
    static func listedMethods(_ text: String) -> [String: Set<String>] {
        var listed: [String: Set<String>] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") || line.hasPrefix("### ") {
                current = nil
                if line.lowercased().contains("methods"), let match = line.firstMatch(of: /`(mashup\.[a-z_]+)`/) {
                    let type = String(match.1)
                    current = type
                    if listed[type] == nil { listed[type] = [] }
                }
            } else if let type = current, line.hasPrefix("- `") {
                for match in line.matches(of: /`[a-z_0-9]+:([a-z_][a-z_0-9]*)[({]/) {
                    listed[type, default: []].insert(String(match.1))
                }
            }
        }
        return listed
    }

    /// Every `mm.a.b` name the document mentions (not counting a trailing call or method).
    static func documentedNames(_ text: String) -> Set<String> {
        // The character before `mm` is matched rather than looked behind (Swift regex literals have
        // no lookbehind), so `comm.x` and `a.mm.x` are not names of ours.
        Set(
            text.matches(of: /(?:^|[^A-Za-z0-9_.])(mm(?:\.[A-Za-z_][A-Za-z_0-9]*)+)/.anchorsMatchLineEndings()).map {
                String($0.1)
            })
    }

    func testTheAPIIsLargeEnoughThatTheWalkWorked() throws {
        let api = try Self.boundAPI()
        XCTAssertTrue(api.functions.contains("mm.seed"))
        XCTAssertTrue(api.functions.contains("mm.audio.load"))
        XCTAssertTrue(api.functions.contains("mm.data.loader"))
        XCTAssertEqual(api.methods["mashup.audio"]?.contains("resample"), true)
        XCTAssertGreaterThan(api.functions.count, 80)
        XCTAssertGreaterThan(api.methods.count, 12)
    }

    func testEveryBoundFunctionIsDocumented() throws {
        let api = try Self.boundAPI()
        let documented = Self.documentedNames(try Self.document())
        let missing = api.functions.subtracting(documented).sorted()
        XCTAssertTrue(missing.isEmpty, "docs/lua-api.md does not document: \(missing.joined(separator: ", "))")
    }

    func testEveryMethodIsDocumentedInItsTypeSection() throws {
        let api = try Self.boundAPI()
        let listed = Self.listedMethods(try Self.document())
        var missing: [String] = []
        // A type without methods (an epoch in progress, a stem bank) needs no listing.
        for (type, methods) in api.methods.sorted(by: { $0.key < $1.key }) where !methods.isEmpty {
            guard let documented = listed[type] else {
                missing.append("the section of `\(type)` (a heading with \"methods\" and `\(type)`)")
                continue
            }
            for method in methods.subtracting(documented).sorted() { missing.append("\(type) :\(method)(") }
        }
        XCTAssertTrue(missing.isEmpty, "docs/lua-api.md does not document: \(missing.joined(separator: ", "))")
    }

    func testNoDocumentedNameIsStale() throws {
        let api = try Self.boundAPI()
        let text = try Self.document()
        let stale = Self.documentedNames(text).subtracting(api.names).sorted()
        XCTAssertTrue(stale.isEmpty, "docs/lua-api.md names what mm does not have: \(stale.joined(separator: ", "))")
        var staleMethods: [String] = []
        for (type, documented) in Self.listedMethods(text).sorted(by: { $0.key < $1.key }) {
            guard let methods = api.methods[type] else {
                staleMethods.append("type \(type)")
                continue
            }
            for method in documented.subtracting(methods).sorted() { staleMethods.append("\(type) :\(method)(") }
        }
        XCTAssertTrue(
            staleMethods.isEmpty,
            "docs/lua-api.md lists methods that do not exist: \(staleMethods.joined(separator: ", "))")
    }
}
