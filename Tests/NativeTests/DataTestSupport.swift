import Foundation
import XCTest

@testable import Native

/// One tiny synthetic data set for all data-pipeline tests (made once per process), and
/// scratch copies of it that a test may break.
enum DataFixture {
    static let made: Result<String, any Error> = Result {
        let dir = NSTemporaryDirectory() + "data-tests-\(getpid())/messy_mashup"
        try? FileManager.default.removeItem(atPath: dir)
        _ = try Synth.generate(SynthConfig.tiny, into: dir)
        return dir
    }

    static func root() throws -> String { try made.get() }

    /// A fresh copy of the tiny data set that the caller may change; removed by the caller.
    static func copy() throws -> String {
        let copy = NSTemporaryDirectory() + "data-copy-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: try root(), toPath: copy)
        return copy
    }

    static func dataSet() throws -> KaggleDataSet { try KaggleDataSet(root: try root()) }

    static let bank: Result<StemBank, any Error> = Result { try StemBank(try dataSet()) }
}
