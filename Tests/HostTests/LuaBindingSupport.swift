import Foundation
import XCTest

@testable import Host

/// Paths and helpers the binding tests share.
enum LuaFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    /// `Tests/Fixtures/<relative>` as a Lua string literal.
    static func path(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    /// A scratch folder removed when the test ends.
    static func scratch(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

extension LuaState {
    /// The message of the error `source` raises (chunk `test`, without the traceback), or nil
    /// when it runs cleanly.
    func failure(_ source: String) -> String? {
        do {
            _ = try evaluate(source, name: "=test")
            return nil
        } catch {
            let message = (error as? LuaState.Failure)?.message ?? "\(error)"
            return message.components(separatedBy: "\nstack traceback:").first
        }
    }

    /// Asserts that each chunk fails with a message starting `test:1: ` + its expected text.
    func assertFailures(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in cases {
            let message = failure(source) ?? "no error"
            XCTAssertTrue(message.hasPrefix("test:1: " + expected), "\(source):\n\(message)", file: file, line: line)
        }
    }

    /// The first result of `source` as a number.
    func number(_ source: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let text = try evaluate(source).first ?? nil
        guard let text, let value = Double(text) else {
            XCTFail("not a number: \(text ?? "nil") from \(source)", file: file, line: line)
            return .nan
        }
        return value
    }

    /// Calls each of `calls` (Lua expressions that raise) `iterations` times in turn under
    /// pcall; every call must fail with a string message and the state must stay usable.
    func assertErrorLoopSurvives(
        _ calls: [String], iterations: Int = 10_000, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let functions = calls.map { "function() \($0) end" }.joined(separator: ",\n")
        let caught = try evaluate(
            """
            local calls = {\(functions)}
            local caught = 0
            for i = 1, \(iterations) do
              local ok, message = pcall(calls[i % #calls + 1])
              if not ok and type(message) == 'string' then caught = caught + 1 end
            end
            collectgarbage()
            return caught, 1 + 1
            """)
        XCTAssertEqual(caught, [String(iterations), "2"], file: file, line: line)
    }
}
