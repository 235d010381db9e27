extension DSP {
    /// librosa.feature.rms(y, frame_length=2048, hop_length=512, center=True, pad_mode="constant"):
    /// rms[t] = sqrt(mean over the frame of x^2), the signal zero-padded by frame_length/2 at
    /// each end when centred. Sums in double.
    public static func rms(_ y: [Float], frameLength: Int = 2048, hop: Int = 512, center: Bool = true) throws -> [Float] {
        let frames = try checkFraming(frameLength: frameLength, hop: hop, samples: y.count, center: center)
        let offset = center ? frameLength / 2 : 0
        return y.withUnsafeBufferPointer { x in
            (0..<frames).map { t in
                // Padding zeros add nothing to the sum; only the samples inside the signal count.
                let start = t * hop - offset
                var sum = 0.0
                for j in max(0, start)..<min(x.count, start + frameLength) { sum += Double(x[j]) * Double(x[j]) }
                return Float((sum / Double(frameLength)).squareRoot())
            }
        }
    }
}
