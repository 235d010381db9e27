import Foundation
import XCTest

@testable import Native

/// Files whose headers announce sizes that wrap 64-bit arithmetic: each is refused with an error
/// naming the file, never read past its end (issue 13's reproductions).
final class CraftedSizeTests: XCTestCase {
    func testCheckedProductRefusesNegativeSizesAndOverflow() {
        XCTAssertEqual(checkedProduct([2, 3, 4]), 24)
        XCTAssertEqual(checkedProduct([]), 1)
        XCTAssertEqual(checkedProduct([0, 1 << 62, 1 << 62]), 0)
        XCTAssertNil(checkedProduct([1 << 32, 1 << 32]))
        XCTAssertNil(checkedProduct([3, -1]))
        XCTAssertNil(checkedProduct([1 << 62], limit: Int.max / 4))
        XCTAssertEqual(checkedProduct([1 << 60], limit: Int.max / 4), 1 << 60)
    }

    /// A safetensors file: the 8-byte header length, the JSON header, then `data`.
    func safetensors(_ header: String, data: [UInt8] = []) -> Data {
        var out = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    func testSafetensorsShapesWhoseByteCountWrapsAreRefused() {
        for (shape, dtype, offsets, data) in [
            ("[4611686018427387904]", "F32", "[0, 0]", [UInt8]()),
            ("[4611686018427387905]", "F32", "[0, 4]", [UInt8](repeating: 0, count: 4)),
            ("[2305843009213693952]", "I64", "[0, 0]", []),
            ("[4294967296, 4294967296]", "F32", "[0, 0]", []),
        ] {
            let file = safetensors(
                "{\"w\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": \(offsets)}}", data: data)
            XCTAssertThrowsError(try SafeTensors.parse(file, path: "crafted.safetensors"), shape) { error in
                XCTAssertTrue("\(error)".contains("'crafted.safetensors'"), "\(error)")
                XCTAssertTrue("\(error)".contains("overflows"), "\(error)")
            }
        }
    }

    /// A version 1.0 .npy file with `shape` (a Python tuple) and `data` after the header.
    func npy(_ descr: String, _ shape: String, data: [UInt8] = []) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    func testNpyShapesWhoseByteCountWrapsAreRefused() throws {
        for (descr, shape) in [("<f4", "(4611686018427387904,)"), ("<f8", "(4294967296, 4294967296)")] {
            XCTAssertThrowsError(try Npy.decode(npy(descr, shape), path: "crafted.npy"), shape) { error in
                XCTAssertTrue("\(error)".contains("crafted.npy"), "\(error)")
                XCTAssertTrue("\(error)".contains("overflows"), "\(error)")
            }
        }
        // The header writer and reader agree on a legal file.
        XCTAssertEqual(
            try Npy.decode(npy("<f4", "(2,)", data: [0, 0, 128, 63, 0, 0, 0, 64]), path: "ok.npy").values, [1, 2])
    }

    func testCacheHeaderWhoseSizeWrapsIsRefused() throws {
        let path = NSTemporaryDirectory() + "crafted-\(UUID().uuidString).mmspec"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        var bytes = SpectrogramCache.magic
        for v in [Int64(1), Int64(1) << 62 + 11_136, 1] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        bytes += [UInt8](repeating: 0, count: 64 - bytes.count)  // one label, padded to 64 bytes
        bytes += [UInt8](repeating: 0, count: 2 * 11_136)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SpectrogramCache(path: path, anchors: [0])) { error in
            XCTAssertTrue("\(error)".contains("truncated or inconsistent cache"), "\(error)")
        }
    }

    func testReshapeToAShapeWhoseSizeWrapsIsRefused() throws {
        let empty = Tensor(shape: [0])
        XCTAssertThrowsError(try empty.reshaped([1 << 32, 1 << 32]))
        XCTAssertThrowsError(try Tensor(shape: [4]).reshaped([1 << 62, 4, -1]))
        XCTAssertEqual(try Tensor(shape: [4]).reshaped([2, -1]).shape, [2, 2])
    }
}
