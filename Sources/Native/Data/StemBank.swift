import Foundation
import Synchronization

/// What `StemBank` decodes to and how much memory it may take.
public struct StemBankOptions: Sendable, Equatable {
    /// The rate every stem and noise clip is resampled to (librosa.load's soxr HQ).
    public var rate = 22_050
    /// nil: float32 when the decoded audio fits in `memoryBudget`, else float16 (the full
    /// competition set then takes 5.3 GiB instead of 10.7 GiB).
    public var precision: SamplePrecision? = nil
    /// Bytes the decoded audio may occupy; the default is half the machine's memory.
    public var memoryBudget = Int(ProcessInfo.processInfo.physicalMemory / 2)
    public var quality = ResampleQuality.high

    public init() {}
}

/// Every stem and noise clip of a data set, decoded once, mono at one rate, kept in memory so
/// that building a mashup never touches the disk. The full competition set (4,000 stems of
/// 30 s and 2,000 clips of 5 s, at 22.05 kHz) takes 10.7 GiB as float32 and 5.3 GiB as float16.
public struct StemBank: Sendable {
    public let dataSet: KaggleDataSet
    public let options: StemBankOptions
    /// [song][stem in `Stem.allCases` order], as `dataSet.songs`.
    public let stems: [[StoredSamples]]
    /// As `dataSet.noiseClips`.
    public let noise: [StoredSamples]

    /// Decodes in parallel across files on `Engine.threads` workers. Throws before decoding
    /// anything when the headers say the audio would not fit in `options.memoryBudget`.
    public init(_ dataSet: KaggleDataSet, options: StemBankOptions = StemBankOptions()) throws {
        guard options.rate >= 1000 else {
            throw DataError("rate", "expected a rate of at least 1000 Hz, got \(options.rate)")
        }
        let files =
            dataSet.songs.flatMap { song in song.stems.map { ($0, song.frames, song.rate) } }
            + dataSet.noiseClips.map { ($0.path, $0.frames, $0.rate) }
        let frames = files.reduce(0) { $0 + Int((Double($1.1) * Double(options.rate) / Double($1.2)).rounded(.up)) }
        let precision = options.precision ?? (frames * 4 <= options.memoryBudget ? .float32 : .float16)
        let needed = frames * precision.bytes
        guard needed <= options.memoryBudget else {
            throw DataError(
                "memory_budget",
                "the \(files.count) stems and noise clips need \(Self.gib(needed)) at \(precision.rawValue) "
                    + "(\(Self.gib(frames * 2)) at float16), more than the budget of \(Self.gib(options.memoryBudget)); "
                    + (precision == .float16
                        ? "raise memory_budget" : "raise memory_budget or choose precision float16"))
        }
        var options = options
        options.precision = precision
        let decoded = Mutex([StoredSamples?](repeating: nil, count: files.count))
        let failures = Mutex<[String]>([])
        Engine.parallelFor(files.count) { i in
            do {
                let audio = try AudioFile.load(files[i].0, rate: options.rate, quality: options.quality)
                let stored = StoredSamples(audio.samples, precision: precision)
                decoded.withLock { $0[i] = stored }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        let errors = failures.withLock { $0 }
        guard errors.isEmpty else { throw DataSetError(root: dataSet.root, problems: errors.sorted()) }
        let all = decoded.withLock { $0.map { $0! } }
        let stemCount = Stem.allCases.count
        self.dataSet = dataSet
        self.options = options
        stems = (0..<dataSet.songs.count).map { Array(all[($0 * stemCount)..<(($0 + 1) * stemCount)]) }
        noise = Array(all[(dataSet.songs.count * stemCount)...])
    }

    /// The precision the samples are stored at (the options' choice, or the automatic one).
    public var precision: SamplePrecision { options.precision ?? .float32 }

    /// Bytes held by the decoded samples.
    public var bytes: Int {
        (stems.joined().reduce(0) { $0 + $1.count } + noise.reduce(0) { $0 + $1.count }) * precision.bytes
    }

    static func gib(_ bytes: Int) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
}
