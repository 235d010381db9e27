import Foundation

/// A stereo mix bus: two planar channels that voices render into, then interleaved for a file.
struct StereoTrack {
    var left: [Float]
    var right: [Float]

    init(frames: Int) {
        left = [Float](repeating: 0, count: frames)
        right = left
    }

    var frames: Int { left.count }

    /// Adds `sound` starting at frame `start` (clipped to the track) with gain and constant-power
    /// pan: pan -1 is hard left, 0 centre (both sides at cos(π/4)), +1 hard right.
    mutating func add(_ sound: [Float], at start: Int, gain: Float, pan: Float) {
        let angle = (Double(max(-1, min(1, pan))) + 1) * Double.pi / 4
        let gl = gain * Float(cos(angle))
        let gr = gain * Float(sin(angle))
        let from = max(0, -start)
        let to = min(sound.count, frames - start)
        guard from < to else { return }
        for i in from..<to {
            left[start + i] += gl * sound[i]
            right[start + i] += gr * sound[i]
        }
    }

    /// Adds another track, scaled.
    mutating func mix(_ other: StereoTrack, gain: Float) {
        for i in 0..<min(frames, other.frames) {
            left[i] += gain * other.left[i]
            right[i] += gain * other.right[i]
        }
    }

    var peak: Float {
        max(left.reduce(0) { max($0, abs($1)) }, right.reduce(0) { max($0, abs($1)) })
    }

    /// Root mean square over both channels.
    var rms: Float {
        var sum: Double = 0
        for i in 0..<frames { sum += Double(left[i] * left[i] + right[i] * right[i]) }
        return Float((sum / Double(max(1, 2 * frames))).squareRoot())
    }

    mutating func scale(by g: Float) {
        for i in 0..<frames {
            left[i] *= g
            right[i] *= g
        }
    }

    /// L R L R ..., the layout of `Audio.samples`.
    func interleaved() -> [Float] {
        var out = [Float](repeating: 0, count: 2 * frames)
        for i in 0..<frames {
            out[2 * i] = left[i]
            out[2 * i + 1] = right[i]
        }
        return out
    }
}
