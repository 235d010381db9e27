extension DSP {
    /// librosa.feature.rms(y, frame_length=2048, hop_length=512, center=True, pad_mode="constant"):
    /// rms[t] = sqrt(mean over the frame of x^2), the signal zero-padded by frame_length/2 at
    /// each end when centred. Sums in double.
    ///
    /// Frames overlap (each sample lies in frame_length / hop of them), so the squares are summed
    /// once per chunk of g = gcd(hop, frame_length) samples, and a frame's sum is the sum of its
    /// frame_length / g chunks: 4 additions a frame at the defaults instead of 2,048. A silent
    /// frame still sums to exactly 0.
    public static func rms(_ y: [Float], frameLength: Int = 2048, hop: Int = 512, center: Bool = true) throws -> [Float]
    {
        let frames = try checkFraming(frameLength: frameLength, hop: hop, samples: y.count, center: center)
        let offset = center ? frameLength / 2 : 0
        var g = frameLength
        var r = hop
        while r != 0 { (g, r) = (r, g % r) }
        // chunk c covers padded samples [c g, (c + 1) g), i.e. y[c g - offset ..< (c + 1) g - offset]
        let chunkCount = ((frames - 1) * hop + frameLength) / g
        let chunks = y.withUnsafeBufferPointer { x in
            (0..<chunkCount).map { c in
                let lower = max(0, c * g - offset)
                let upper = min(x.count, (c + 1) * g - offset)
                return lower < upper ? sumOfSquares(x, lower..<upper) : 0
            }
        }
        let perFrame = frameLength / g
        return (0..<frames).map { t in
            let first = t * hop / g
            var sum = 0.0
            for c in first..<(first + perFrame) { sum += chunks[c] }
            return Float((sum / Double(frameLength)).squareRoot())
        }
    }

    /// sum of Double(x[j])^2 over `range`, in four independent chains (the additions' latency,
    /// not their count, bounds a single chain).
    static func sumOfSquares(_ x: UnsafeBufferPointer<Float>, _ range: Range<Int>) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var j = range.lowerBound
        while j + 4 <= range.upperBound {
            let (a, b, c, d) = (Double(x[j]), Double(x[j + 1]), Double(x[j + 2]), Double(x[j + 3]))
            s0 += a * a
            s1 += b * b
            s2 += c * c
            s3 += d * d
            j += 4
        }
        while j < range.upperBound {
            s0 += Double(x[j]) * Double(x[j])
            j += 1
        }
        return (s0 + s1) + (s2 + s3)
    }
}
