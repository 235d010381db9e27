/// Frame-wise audio features, each matching the librosa 0.11 function of the same name with
/// its defaults. Every function takes a mono signal and returns one value per frame; with
/// `center` the frames are centred as in `STFT` (1 + n / hop frames for an even length).
public enum DSP {
    /// Throws unless frameLength and hop describe a framing librosa accepts.
    static func checkFraming(frameLength: Int, hop: Int, samples: Int, center: Bool) throws -> Int {
        guard frameLength >= 1 else { throw DSPError("frame_length", "expected at least 1 sample, got \(frameLength)") }
        guard hop >= 1 else { throw DSPError("hop", "expected at least 1 sample, got \(hop)") }
        guard hop <= frameLength else {
            throw DSPError("hop", "expected at most frame_length (\(frameLength)), got \(hop)")
        }
        let padded = center ? samples + 2 * (frameLength / 2) : samples
        guard samples > 0, padded >= frameLength else {
            throw DSPError("samples", "expected at least \(center ? 1 : frameLength) samples, got \(samples)")
        }
        return 1 + (padded - frameLength) / hop
    }
}
