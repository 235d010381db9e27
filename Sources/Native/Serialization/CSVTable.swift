import Foundation

/// A CSV file read whole: the header and the rows, every field a string. Reads what
/// spreadsheets and Kaggle write: an optional UTF-8 byte-order mark, LF or CRLF line ends, a
/// missing final newline, and RFC 4180 quoting ("a, b" and "say ""hi""" as one field).
/// Blank lines are skipped.
public struct CSVTable: Sendable, Equatable {
    public let header: [String]
    public let rows: [[String]]
    /// The 1-based line on which each row starts, for messages.
    public let lines: [Int]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
        lines = rows.indices.map { $0 + 2 }
    }

    /// Tables are equal when their contents are; where the rows stood in a file does not count.
    public static func == (a: CSVTable, b: CSVTable) -> Bool { a.header == b.header && a.rows == b.rows }

    /// The rows with the line each starts on.
    public var records: [(line: Int, fields: [String])] {
        zip(lines, rows).map { (line: $0, fields: $1) }
    }

    public static func read(_ path: String) throws -> CSVTable {
        try CSVTable(parsing: try readText(path), origin: path)
    }

    /// Parses `text`; `origin` names the source in errors, which give its line.
    public init(parsing text: String, origin: String) throws {
        var records: [[String]] = []
        var starts: [Int] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var fieldStarted = false
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        func endRecord() {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty && !fieldStarted) {
                records.append(record)
                starts.append(recordLine)
            }
            (record, field, fieldStarted) = ([], "", false)
        }
        func beginRecordIfNew() {
            if record.isEmpty && field.isEmpty && !fieldStarted { recordLine = line }
        }
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let c = scalars[i]
            i = scalars.index(after: i)
            if !quoted && c != "\n" && c != "\r" { beginRecordIfNew() }
            if quoted {
                if c == "\"" {
                    if i < scalars.endIndex, scalars[i] == "\"" {
                        field.unicodeScalars.append("\"")
                        i = scalars.index(after: i)
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                quoted = true
                fieldStarted = true
            case ",":
                record.append(field)
                (field, fieldStarted) = ("", true)
            case "\r" where i < scalars.endIndex && scalars[i] == "\n":
                continue
            case "\n", "\r":
                endRecord()
                line += 1
            default:
                field.unicodeScalars.append(c)
                fieldStarted = true
            }
        }
        if quoted { throw ReportError("\(origin):\(line)", "a quoted field is never closed") }
        if fieldStarted || !field.isEmpty || !record.isEmpty { endRecord() }
        guard let header = records.first else { throw ReportError(origin, "is empty; expected a header line") }
        self.header = header
        rows = Array(records.dropFirst())
        lines = Array(starts.dropFirst())
    }

    /// The index of column `name` (ignoring case and surrounding spaces); the error lists the
    /// columns there are.
    public func column(_ name: String, in origin: String) throws -> Int {
        let wanted = name.lowercased()
        guard let index = header.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == wanted })
        else {
            throw ReportError(origin, "has no '\(name)' column; its header is \(header.joined(separator: ","))")
        }
        return index
    }

    /// The table as CSV text with LF line ends, quoting fields that need it.
    public var text: String {
        func quote(_ field: String) -> String {
            // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
            field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }
        return ([header] + rows).map { $0.map(quote).joined(separator: ",") + "\n" }.joined()
    }
}
