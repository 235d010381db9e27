/// SpecAugment masks (Park et al. 2019): `count` bands of `width` consecutive frequency bins
/// (rows) or time frames (columns), each width drawn uniformly from `width` and placed
/// uniformly, set to `value` (0, the floor of a min-max scaled log-mel).
public struct SpectrogramMask: Augmentation {
    public enum Axis: String, Sendable, CaseIterable {
        case frequency, time
    }

    public var axis: Axis
    public var width: ClosedRange<Int>
    public var count: Int
    public var value: Float

    public init(_ axis: Axis, width: ClosedRange<Int>, count: Int = 1, value: Float = 0) throws {
        guard width.lowerBound >= 0 else { throw DataError("width", "expected widths >= 0, got \(width)") }
        guard (0...64).contains(count) else { throw DataError("count", "expected 0 to 64 masks, got \(count)") }
        (self.axis, self.width, self.count, self.value) = (axis, width, count, value)
    }

    public func apply(_ spectrogram: Spectrogram, random: inout Random, worker: Int) throws -> Spectrogram {
        var s = spectrogram
        let extent = axis == .frequency ? s.bins : s.frames
        for _ in 0..<count {
            let w = min(extent, random.int(in: width))
            let start = random.int(in: 0...(extent - w))
            for k in start..<(start + w) {
                if axis == .frequency {
                    for t in 0..<s.frames { s[k, t] = value }
                } else {
                    for b in 0..<s.bins { s[b, k] = value }
                }
            }
        }
        return s
    }
}
