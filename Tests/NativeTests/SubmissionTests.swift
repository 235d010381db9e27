import Foundation
import Native
import XCTest

final class SubmissionTests: XCTestCase {
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A sample submission as Kaggle might serve it: BOM, CRLF, no final newline.
    private func sample(in folder: URL, ids: [String]) throws -> String {
        let path = folder.appendingPathComponent("sample_submission.csv").path
        let text = "\u{FEFF}id,genre\r\n" + ids.map { "\($0),blues" }.joined(separator: "\r\n")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: CSV

    func testCSVReadsBOMCRLFQuotesAndAMissingFinalNewline() throws {
        let text =
            "\u{FEFF}id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n\r\n2,plain,\"two\r\nlines\"\r\n3,,last"
        let table = try CSVTable(parsing: text, origin: "t.csv")
        XCTAssertEqual(table.header, ["id", "name", "note"])
        XCTAssertEqual(
            table.rows, [["1", "Smith, J", "said \"hi\""], ["2", "plain", "two\r\nlines"], ["3", "", "last"]])
        XCTAssertEqual(try CSVTable(parsing: table.text, origin: "round trip"), table)
    }

    func testCSVErrorsNameTheFileAndLine() {
        XCTAssertThrowsError(try CSVTable(parsing: "a,b\n1,\"open\n2,3\n", origin: "t.csv")) {
            XCTAssertEqual("\($0)", "t.csv:4: a quoted field is never closed")
        }
        XCTAssertThrowsError(try CSVTable(parsing: "\u{FEFF}", origin: "e.csv")) {
            XCTAssertEqual("\($0)", "e.csv: is empty; expected a header line")
        }
        XCTAssertThrowsError(try CSVTable.read("/nonexistent/x.csv")) {
            XCTAssertEqual("\($0)", "/nonexistent/x.csv: no such file")
        }
    }

    // MARK: submission

    func testAGoodSubmissionIsWrittenAsIdGenreLines() throws {
        let folder = try scratch()
        let samplePath = try sample(in: folder, ids: ["1", "2", "3"])
        let out = folder.appendingPathComponent("submission.csv").path
        try Submission(ids: ["1", "2", "3"], genres: ["jazz", "rock", "blues"]).write(
            to: out, checkedAgainst: samplePath)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "id,genre\n1,jazz\n2,rock\n3,blues\n")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
            ["sample_submission.csv", "submission.csv"])
    }

    func testABadSubmissionIsNotWrittenAndTheErrorListsTheFirstProblems() throws {
        let folder = try scratch()
        let samplePath = try sample(in: folder, ids: (1...8).map(String.init))
        let out = folder.appendingPathComponent("submission.csv").path
        // 2 and 3 swapped, 5 twice (so 6 is missing), "Jazz" capitalised, "polka" unknown, 8 absent.
        let submission = Submission(
            ids: ["1", "3", "2", "4", "5", "5", "7"],
            genres: ["blues", "rock", "Jazz", "pop", "polka", "metal", "disco"])
        XCTAssertThrowsError(try submission.write(to: out, checkedAgainst: samplePath)) {
            XCTAssertEqual(
                "\($0)",
                """
                \(out): not written: 8 problems against \(samplePath):
                  - 7 rows but the sample submission has 8; expected one row per test id
                  - row 2: id '3' where the sample submission has '2'
                  - row 3: id '2' where the sample submission has '3'
                  - id '5' appears twice (rows 5 and 6)
                  - row 6: id '5' where the sample submission has '6'
                  ... and 3 more
                """)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let all = submission.problems(against: (1...8).map(String.init), validGenres: Genre.allCases.map(\.name))
        XCTAssertEqual(
            Array(all.suffix(3)),
            [
                "2 ids of the sample submission have no row, first '6', '8'",
                "row 3 (id '2'): genre 'Jazz' is not one of blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock",
                "row 5 (id '5'): genre 'polka' is not one of blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock",
            ])
    }

    func testASampleWithoutAnIdColumnIsAnError() throws {
        let folder = try scratch()
        let samplePath = folder.appendingPathComponent("s.csv").path
        try "song,genre\n1,jazz\n".write(toFile: samplePath, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(
            try Submission(ids: ["1"], genres: ["jazz"]).write(
                to: folder.appendingPathComponent("o.csv").path, checkedAgainst: samplePath)
        ) {
            XCTAssertEqual("\($0)", "\(samplePath): has no 'id' column; its header is song,genre")
        }
    }

    // MARK: confidence

    func testConfidenceReportCountsAndAverages() throws {
        let probabilities: [Float] = [
            0.7, 0.2, 0.1,
            0.1, 0.8, 0.1,
            0.4, 0.35, 0.25,
            0.9, 0.05, 0.05,
        ]
        let report = try ConfidenceReport(probabilities: probabilities, classNames: ["a", "b", "c"], threshold: 0.5)
        XCTAssertEqual(report.examples, 4)
        XCTAssertEqual(report.predictions.map(\.label), [0, 1, 0, 0])
        XCTAssertEqual(report.meanTopProbability, (0.7 + 0.8 + 0.4 + 0.9) / 4, accuracy: 1e-6)
        XCTAssertEqual(report.belowThreshold, 1)
        XCTAssertEqual(report.perClass.map(\.count), [3, 1, 0])
        XCTAssertEqual(report.perClass[0].meanConfidence, (0.7 + 0.4 + 0.9) / 3, accuracy: 1e-6)
        XCTAssertTrue(report.perClass[2].meanConfidence.isNaN)
        XCTAssertEqual(
            report.table,
            """
            4 examples: mean top probability 0.700, 1 below 0.50 (25.0%)
            predicted   count   share   mean confidence
            a               3   75.0%             0.667
            b               1   25.0%             0.800
            c               0    0.0%                 -

            """)
        let tensor = try Tensor(shape: [4, 3], values: probabilities)
        XCTAssertEqual(
            try ConfidenceReport(probabilities: tensor, classNames: ["a", "b", "c"]).predictions, report.predictions)
        let figure = try Figure.predictionDistribution(report)
        XCTAssertEqual(figure.panels[0].bars?.values, [3, 1, 0])
    }

    func testConfidenceReportRefusesLogitsAndShapes() {
        XCTAssertThrowsError(try ConfidenceReport(probabilities: [2, -1, 0.5], classNames: ["a", "b", "c"])) {
            XCTAssertTrue("\($0)".hasPrefix("probabilities: row 1 sums to 1.5 or has values outside [0, 1]"), "\($0)")
        }
        XCTAssertThrowsError(try ConfidenceReport(probabilities: [0.5, 0.5, 1], classNames: ["a", "b"])) {
            XCTAssertEqual("\($0)", "probabilities: expected N x 2 values (one row per example), got 3")
        }
        XCTAssertThrowsError(try ConfidenceReport(probabilities: [1, 0], classNames: ["a", "b"], threshold: 2)) {
            XCTAssertEqual("\($0)", "threshold: expected 0 to 1, got 2.0")
        }
    }
}
