import Foundation
import Native
import XCTest

final class NpyTests: XCTestCase {
    func testReadsAFloat32MatrixWrittenByNumPy() throws {
        let mel = try DSPFixtures.array("sine_mix", "mel")
        XCTAssertEqual(mel.shape, [128, 17])
        XCTAssertEqual(mel.values.count, 128 * 17)
        XCTAssertTrue(mel.values.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    func testReadsFloat64AsFloat32() throws {
        let zcr = try DSPFixtures.array("sine_mix", "zcr")  // librosa returns float64 here
        XCTAssertEqual(zcr.shape, [1, 17])
        XCTAssertTrue(zcr.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testRoundTripKeepsShapeAndValues() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("a.npy").path
        let values: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
        try Npy.write(values, shape: [2, 3, 4], to: path)
        XCTAssertEqual(try Npy.read(path), NpyArray(shape: [2, 3, 4], values: values))
    }

    func testHeaderIsVersion1PaddedTo64Bytes() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("v.npy").path
        try Npy.write([1, 2, 3], shape: [3], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header)
        XCTAssertEqual(bytes.count, 10 + headerLength + 12)
    }

    func testScalarAndEmptyShapes() throws {
        let folder = try DSPFixtures.scratch(self)
        try Npy.write([7], shape: [], to: folder.appendingPathComponent("s.npy").path)
        XCTAssertEqual(try Npy.read(folder.appendingPathComponent("s.npy").path), NpyArray(shape: [], values: [7]))
        try Npy.write([], shape: [0, 5], to: folder.appendingPathComponent("e.npy").path)
        XCTAssertEqual(try Npy.read(folder.appendingPathComponent("e.npy").path), NpyArray(shape: [0, 5], values: []))
    }

    func testReadsBigEndianIntegers() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("i.npy").path
        var header = "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }"
        header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
        let data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0xFF, 0xFE, 0x01, 0x00])
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try Npy.read(path).values, [-2, 256])
    }

    func testShapeMismatchOnWriteThrows() {
        XCTAssertThrowsError(try Npy.write([1, 2, 3], shape: [2, 2], to: "/tmp/never.npy")) { error in
            XCTAssertTrue("\(error)".contains("holds 4 values, got 3"), "\(error)")
        }
    }

    func testNonNpyFileIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("x.npy").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Npy.read(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains("not a .npy file"), "\(error)")
        }
    }

    func testTruncatedDataIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("t.npy").path
        try Npy.write([Float](repeating: 1, count: 100), shape: [10, 10], to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 4).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Npy.read(path)) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testFortranOrderIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("f.npy").path
        var header = "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }"
        header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
        let data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 0, 0])
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Npy.read(path)) { error in
            XCTAssertTrue("\(error)".contains("Fortran order"), "\(error)")
        }
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try Npy.read("/no/such.npy")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/no/such.npy:"), "\(error)")
        }
    }
}
