import Foundation

/// A comma-separated file as the competition's are written: a header row, then records.
/// A UTF-8 byte-order mark, CRLF line ends, blank lines and double-quoted fields ("a,b", with
/// "" for a quote) are accepted silently, since spreadsheet tools add them.
struct CSVTable {
    let path: String
    let header: [String]
    /// Records with their 1-based line number in the file, for messages.
    let rows: [(line: Int, fields: [String])]

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(path, "cannot read the file") }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var records: [(Int, [String])] = []
        // Swift treats "\r\n" as one Character, so splitting on newlines covers both line ends.
        for (k, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            records.append((k + 1, CSVTable.fields(of: trimmed)))
        }
        guard let first = records.first else { throw DataError(path, "is empty, expected a header row") }
        header = first.1.map { $0.lowercased() }
        rows = records.dropFirst().map { (line: $0.0, fields: $0.1) }
    }

    /// The index of column `name`, or an error naming the columns the file has.
    func column(_ name: String) throws -> Int {
        guard let k = header.firstIndex(of: name) else {
            throw DataError(path, "has no '\(name)' column (columns: \(header.joined(separator: ", ")))")
        }
        return k
    }

    private static func fields(of line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        var pending = chars.next()
        while let c = pending {
            pending = chars.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        current.append("\"")
                        pending = chars.next()
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
