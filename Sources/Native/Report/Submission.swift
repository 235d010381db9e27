/// A competition submission: one predicted genre per test id, written as `id,genre` only
/// after it has been checked against the competition's sample_submission.csv.
public struct Submission: Sendable, Equatable {
    public var ids: [String]
    public var genres: [String]

    public init(ids: [String], genres: [String]) {
        self.ids = ids
        self.genres = genres
    }

    /// Everything that would make the file rejected: rows not matching the sample's ids one for
    /// one and in order, duplicate ids, genres outside `validGenres`. Empty when it is good.
    public func problems(against sample: [String], validGenres: [String]) -> [String] {
        var problems: [String] = []
        if ids.count != genres.count {
            problems.append("\(ids.count) ids but \(genres.count) genres; expected one genre per id")
        }
        if ids.count != sample.count {
            problems.append(
                "\(ids.count) rows but the sample submission has \(sample.count); expected one row per test id")
        }
        var firstRow: [String: Int] = [:]
        for (row, id) in ids.enumerated() {
            if let earlier = firstRow[id] {
                problems.append("id '\(id)' appears twice (rows \(earlier + 1) and \(row + 1))")
            } else {
                firstRow[id] = row
            }
            if row < sample.count, id != sample[row] {
                problems.append("row \(row + 1): id '\(id)' where the sample submission has '\(sample[row])'")
            }
        }
        let missing = sample.filter { firstRow[$0] == nil }
        if !missing.isEmpty {
            problems.append(
                "\(missing.count) ids of the sample submission have no row, first \(missing.prefix(3).map { "'\($0)'" }.joined(separator: ", "))"
            )
        }
        let valid = Set(validGenres)
        for (row, genre) in genres.enumerated() where !valid.contains(genre) {
            let id = row < ids.count ? " (id '\(ids[row])')" : ""
            problems.append(
                "row \(row + 1)\(id): genre '\(genre)' is not one of \(validGenres.joined(separator: ", "))")
        }
        return problems
    }

    /// Checks the submission against `samplePath` (its `id` column) and writes `path`
    /// atomically; or writes nothing and throws an error listing the first problems.
    public func write(
        to path: String, checkedAgainst samplePath: String, validGenres: [String] = Genre.allCases.map(\.name)
    ) throws {
        let sample = try CSVTable.read(samplePath)
        let idColumn = try sample.column("id", in: samplePath)
        let sampleIds = sample.rows.map { idColumn < $0.count ? $0[idColumn] : "" }
        let problems = problems(against: sampleIds, validGenres: validGenres)
        guard problems.isEmpty else {
            let shown = problems.prefix(5).map { "  - \($0)" }.joined(separator: "\n")
            let more = problems.count > 5 ? "\n  ... and \(problems.count - 5) more" : ""
            throw ReportError(
                path,
                "not written: \(problems.count) problem\(problems.count == 1 ? "" : "s") against \(samplePath):\n\(shown)\(more)"
            )
        }
        try writeText(CSVTable(header: ["id", "genre"], rows: zip(ids, genres).map { [$0, $1] }).text, to: path)
    }
}
