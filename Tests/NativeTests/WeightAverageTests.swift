import Foundation
import XCTest

@testable import Native

/// The exponential moving average of a network's weights: its recurrence, the swap that lends
/// the average to the network, and resume.
final class WeightAverageTests: XCTestCase {
    func weights(_ net: any Module) -> [[Float]] {
        net.stateDict().compactMap { if case .tensor(let t) = $0.entry { t.array } else { nil } }
    }

    func set(_ net: any Module, to value: Float) {
        for p in net.parameters { for i in 0..<p.value.count { p.value.data[i] = value } }
    }

    /// shadow = d shadow + (1 - d) live with d = min(decay, (1 + t) / (10 + t)).
    func testUpdateFollowsTheWarmedUpRecurrence() throws {
        let net = try Linear(3, 2)
        set(net, to: 1)
        let ema = try WeightAverage(net, decay: 0.5)
        set(net, to: 2)
        try ema.update()  // d = 1/10: 0.1 * 1 + 0.9 * 2
        set(net, to: 0)
        try ema.update()  // d = 2/11: (2/11) 1.9
        XCTAssertEqual(ema.updates, 2)
        let expected = Float(2.0 / 11.0 * 1.9)
        ema.swap()
        XCTAssertTrue(ema.swapped)
        for values in weights(net) { for v in values { XCTAssertEqual(v, expected, accuracy: 1e-6) } }
        XCTAssertThrowsError(try ema.update(), "updating while the network holds the average")
        ema.swap()
        XCTAssertEqual(weights(net).flatMap { $0 }, [Float](repeating: 0, count: 8), "live weights back")
        for decay in [0.0, 1.0, -0.5, .nan] {
            XCTAssertThrowsError(try WeightAverage(net, decay: decay)) { error in
                XCTAssertTrue("\(error)".hasPrefix("decay: expected a number in (0, 1)"), "\(error)")
            }
        }
    }

    /// BatchNorm's running statistics are averaged too, its counter is not.
    func testRunningStatisticsAreAveragedAndCountersLeftAlone() throws {
        let bn = try BatchNorm2d(2)
        let ema = try WeightAverage(bn, decay: 0.9)
        XCTAssertEqual(ema.entries.map(\.name), ["weight", "bias", "running_mean", "running_var"])
    }

    /// A training state saved with the average restores both the live weights and the average,
    /// even when saved while the network held the average.
    func testTrainingStateKeepsLiveWeightsAndTheAverage() throws {
        Engine.seed(5)
        let net = try Linear(4, 3)
        let opt = try AdamW(net.parameters)
        let ema = try WeightAverage(net, decay: 0.99)
        set(net, to: 0.5)
        try ema.update()
        let live = weights(net)
        ema.swap()
        let averaged = weights(net)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ema-\(UUID().uuidString).safetensors")
            .path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TrainingState(epoch: 2).save(to: file, model: net, optimizer: opt, average: ema)
        XCTAssertEqual(weights(net), averaged, "saving leaves the average in the network")

        let other = try Linear(4, 3)
        let otherEMA = try WeightAverage(other, decay: 0.99)
        _ = try TrainingState.load(from: file, model: other, optimizer: try AdamW(other.parameters), average: otherEMA)
        XCTAssertEqual(weights(other), live)
        XCTAssertEqual(otherEMA.updates, 1)
        otherEMA.swap()
        XCTAssertEqual(weights(other), averaged)

        let plain = FileManager.default.temporaryDirectory.appendingPathComponent(
            "plain-\(UUID().uuidString).safetensors"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: plain) }
        try TrainingState(epoch: 1).save(to: plain, model: other, optimizer: try AdamW(other.parameters))
        XCTAssertThrowsError(
            try TrainingState.load(
                from: plain, model: other, optimizer: try AdamW(other.parameters),
                average: try WeightAverage(other, decay: 0.9))
        ) { error in XCTAssertTrue("\(error)".contains("holds no weight average"), "\(error)") }
    }
}
