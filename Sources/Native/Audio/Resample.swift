import CSoxr
import Foundation

/// libsoxr's quality recipes. `.high` is soxr's "HQ" (20-bit), python-soxr's default and
/// therefore librosa's default `res_type="soxr_hq"`.
public enum ResampleQuality: String, Sendable, CaseIterable {
    case quick, low, medium, high
    case veryHigh = "very_high"

    var recipe: UInt {
        switch self {
        case .quick: UInt(SOXR_QQ)
        case .low: UInt(SOXR_LQ)
        case .medium: UInt(SOXR_MQ)
        case .high: UInt(SOXR_20_BITQ)
        case .veryHigh: UInt(SOXR_28_BITQ)
        }
    }
}

extension Audio {
    /// Band-limited resampling with libsoxr, set up as librosa.resample(res_type="soxr_*")
    /// drives it through python-soxr: float32 in and out, the quality recipe with no flags, the
    /// whole signal pushed through one resampler and then flushed, and the result cut or
    /// zero-padded to ceil(frames * rate / self.rate) frames (librosa's `fix=True`, computed
    /// with the same double-precision ratio). Channels are resampled independently.
    /// python-soxr feeds its input in chunks; soxr's output does not depend on the chunking,
    /// and this matches librosa.load bit for bit on a 30 s file at 22050 and 16000 Hz.
    public func resampled(to rate: Int, quality: ResampleQuality = .high) throws -> Audio {
        guard rate >= 1 else { throw AudioError("rate", "expected a positive target rate in Hz, got \(rate)") }
        guard self.rate >= 1 else {
            throw AudioError("rate", "expected a positive source rate in Hz, got \(self.rate)")
        }
        guard channels >= 1 else { throw AudioError("channels", "expected at least 1, got \(channels)") }
        if rate == self.rate { return self }

        let ratio = Double(rate) / Double(self.rate)
        let outFrames = Int(min((Double(frames) * ratio).rounded(.up), Double(Int32.max)))
        let c = channels
        guard outFrames * c < Int(Int32.max) else {
            throw AudioError(
                "rate", "resampling to \(rate) Hz would give \(outFrames) frames, more than one buffer holds")
        }

        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var q = soxr_quality_spec(quality.recipe, 0)
        guard let soxr = soxr_create(Double(self.rate), Double(rate), UInt32(c), &error, &io, &q, nil),
            error == nil
        else {
            throw AudioError("resample", "libsoxr could not convert \(self.rate) Hz to \(rate) Hz: \(Self.text(error))")
        }
        defer { soxr_delete(soxr) }

        // soxr writes at most `capacity` frames; any beyond outFrames are cut below, as librosa's
        // fix_length cuts them (python-soxr's own buffer is floor(frames * ratio) + 1).
        let capacity = outFrames + 1
        var out = [Float](repeating: 0, count: capacity * c)
        var produced = 0
        try samples.withUnsafeBufferPointer { x in
            try out.withUnsafeMutableBufferPointer { y in
                var done = 0
                // One call with all the input, then one with none: soxr's end-of-input flush.
                error = soxr_process(soxr, x.baseAddress, frames, nil, y.baseAddress, capacity, &done)
                produced = done
                if error == nil {
                    error = soxr_process(
                        soxr, nil, 0, nil, y.baseAddress! + produced * c, capacity - produced, &done)
                    produced += done
                }
                if let error { throw AudioError("resample", "libsoxr failed: \(String(cString: error))") }
            }
        }
        // Frames soxr did not produce stay zero: librosa's fix_length pads with zeros.
        out.removeLast((capacity - outFrames) * c)
        return Audio(samples: out, channels: c, rate: rate)
    }

    private static func text(_ error: soxr_error_t?) -> String {
        error.map { String(cString: $0) } ?? "unknown error"
    }
}
