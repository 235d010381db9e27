import Synchronization

/// The test mashups as the model sees them: each file loaded mono at the input's rate
/// (resampled if it is not), cut or padded like the training mashups, and optionally cut into
/// several views for test-time augmentation. View 0 is the clip itself; view v > 0 is the clip
/// rotated by v x `shiftSeconds` within its own length (what leaves the end re-enters at the
/// start), then padded the same way, so every view keeps the training layout of music first,
/// silence after.
public struct TestMashups: Sendable {
    public let items: [KaggleDataSet.TestItem]
    public let input: ModelInput
    public let views: Int
    public let shiftSeconds: Double

    public init(_ dataSet: KaggleDataSet, input: ModelInput, views: Int = 1, shiftSeconds: Double = 5) throws {
        guard (1...32).contains(views) else { throw DataError("views", "expected 1 to 32 views, got \(views)") }
        try checkRange("shift_seconds", shiftSeconds...shiftSeconds, within: 0...600)
        (items, self.input, self.views, self.shiftSeconds) = (dataSet.test, input, views, shiftSeconds)
    }

    public var ids: [String] { items.map(\.id) }

    /// View `view` of a decoded clip.
    func view(_ samples: [Float], _ view: Int) -> [Float] {
        guard view > 0, !samples.isEmpty else { return samples }
        let shift = Int(Double(view) * shiftSeconds * Double(input.rate)) % samples.count
        return Array(samples[shift...] + samples[..<shift])
    }

    /// Items `range`, all views: a batch per view, [range.count, 1, bins, frames] each, built in
    /// parallel over the files. Labels are unknown and left at 0.
    public func batches(_ range: Range<Int>) throws -> [Batch] {
        let range = range.clamped(to: 0..<items.count)
        let results = Mutex([Result<[Spectrogram], any Error>?](repeating: nil, count: range.count))
        Engine.parallelFor(range.count) { k in
            let item = items[range.lowerBound + k]
            let result = Result {
                let audio = try AudioFile.load(item.path, rate: input.rate)
                return try (0..<views).map { v in
                    try input.spectrogram(Audio(samples: view(audio.samples, v), channels: 1, rate: input.rate))
                }
            }
            results.withLock { $0[k] = result }
        }
        let spectrograms = try results.withLock { try $0.map { try $0!.get() } }
        return try (0..<views).map { v in
            try Batch.stack(spectrograms.map { $0[v] }, labels: [Int](repeating: 0, count: range.count))
        }
    }
}
