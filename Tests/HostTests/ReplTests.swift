import Foundation
import XCTest

/// Drives `mashup repl` through a pseudo-terminal, as a person at a keyboard would.
final class ReplTests: XCTestCase {
    private final class Terminal {
        let master: Int32
        let process = Process()
        var screen = ""

        init(history: URL) throws {
            // posix_openpt and friends are hidden from Swift's Glibc module; these are the
            // Linux ioctls they use (unlock the pair, ask the slave's number).
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            var unlock: Int32 = 0
            var number: UInt32 = 0
            let setLock: UInt = 0x4004_5431  // TIOCSPTLCK
            let getNumber: UInt = 0x8004_5430  // TIOCGPTN
            guard master >= 0, ioctl(master, setLock, &unlock) == 0, ioctl(master, getNumber, &number) == 0
            else { throw CocoaError(.fileNoSuchFile) }
            let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
            let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
            process.executableURL = mashupBinary
            process.arguments = ["repl"]
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "xterm"
            env["MASHUP_HISTORY"] = history.path
            process.environment = env
            process.standardInput = handle
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        func type(_ text: String) {
            _ = text.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) }
        }

        /// Reads until `text` has appeared since the last mark, or fails after `timeout` seconds.
        @discardableResult
        func expect(_ text: String, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !screen.contains(text) {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 {
                    XCTFail(
                        "expected \(text.debugDescription) on the terminal; saw \(screen.debugDescription)", file: file,
                        line: line)
                    return false
                }
                var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&fds, 1, Int32(left * 1000)) > 0 {
                    let n = read(master, &buffer, buffer.count)
                    if n <= 0 { continue }
                    screen += String(decoding: buffer[0..<n], as: UTF8.self)
                }
            }
            // Later expectations look only at what comes after this match.
            screen = String(screen[screen.range(of: text)!.upperBound...])
            return true
        }

        /// Ctrl-D at the prompt. libedit may print the prompt before it puts the terminal in raw
        /// mode; a ^D that the line discipline sees in canonical mode with no reader is dropped,
        /// so give the editor a moment, as a person typing would.
        func endOfInput() {
            usleep(300_000)
            type("\u{04}")
        }

        /// Waits for the REPL to exit; fails instead of hanging if it does not.
        func waitForExit(timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            guard !process.isRunning else {
                XCTFail("the REPL did not exit; screen: \(screen.debugDescription)", file: file, line: line)
                return nil
            }
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { process.terminate() }
            close(master)
        }
    }

    func testExpressionsStatementsErrorsAndHistory() throws {
        let dir = try temporaryFolder(self)
        let history = dir.appendingPathComponent("history")
        let term = try Terminal(history: history)
        term.expect("> ")
        term.type("1 + 1\n")
        term.expect("2\r\n")
        term.expect("> ")

        // A multi-line function continues with the secondary prompt, as lua does.
        term.type("function triple(x)\n")
        term.expect(">> ")
        term.type("return x * 3\n")
        term.expect(">> ")
        term.type("end\n")
        term.expect("> ")
        term.type("triple(14)\n")
        term.expect("42")

        // An error prints and the session goes on.
        term.type("error('oops')\n")
        term.expect("oops")
        term.expect("> ")
        term.type("print('still' .. ' alive')\n")
        term.expect("still alive")

        // Tables print as constructors.
        term.type("{1, 2, name = 'x', sub = {k = true}}\n")
        term.expect("{ 1, 2, name = \"x\", sub = { k = true } }")

        // Tab completes mm names.
        term.type("mm.vers\t\n")
        term.expect("0.")

        term.expect("> ")
        term.endOfInput()
        XCTAssertEqual(term.waitForExit(), 0)
        let saved = try String(contentsOf: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("triple(14)"), saved)
    }

    func testCtrlCStopsARunningChunkAndReturnsToThePrompt() throws {
        let dir = try temporaryFolder(self)
        let term = try Terminal(history: dir.appendingPathComponent("history"))
        term.expect("> ")
        term.type("print('loop' .. 'ing') while true do end\n")
        term.expect("looping")
        kill(term.process.processIdentifier, SIGINT)
        term.expect("interrupted!")
        term.expect("> ")
        term.type("print(6 * 7)\n")
        term.expect("42")
        term.expect("> ")
        term.endOfInput()
        XCTAssertEqual(term.waitForExit(), 0)
    }
}
