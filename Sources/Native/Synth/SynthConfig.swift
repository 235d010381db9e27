/// Preset sizes of the synthetic data set.
public enum SynthScale: String, Sendable, CaseIterable {
    /// Unit tests: seconds to make.
    case tiny
    /// The quickstart's default: a real run of every stage in well under a minute.
    case small
    /// The competition's size: 100 songs per genre of 30 s, 3,020 mashups, 2,000 noise clips.
    case full
}

/// What `Synth.generate` makes. Start from a scale and override any field.
public struct SynthConfig: Sendable, Equatable {
    public var songsPerGenre: Int
    /// Songs per genre that only the test mashups are made of: synthesised like the others but
    /// never written to `genres_stems`, so the test set asks about songs the model never heard,
    /// as the competition's does.
    public var testSongsPerGenre: Int
    /// Build the test mashups from the `genres_stems` songs instead (the first versions' set).
    public var testFromTrain = false
    /// Length of every training stem, in seconds.
    public var seconds: Double
    public var mashups: Int
    public var noiseClips: Int
    public var seed: UInt64

    public init(scale: SynthScale = .small, seed: UInt64 = Engine.defaultSeed) {
        switch scale {
        case .tiny: (songsPerGenre, testSongsPerGenre, seconds, mashups, noiseClips) = (3, 2, 4, 20, 10)
        case .small: (songsPerGenre, testSongsPerGenre, seconds, mashups, noiseClips) = (10, 5, 12, 200, 50)
        case .full: (songsPerGenre, testSongsPerGenre, seconds, mashups, noiseClips) = (100, 30, 30, 3_020, 2_000)
        }
        self.seed = seed
    }

    public static let tiny = SynthConfig(scale: .tiny)
    public static let small = SynthConfig(scale: .small)
    public static let full = SynthConfig(scale: .full)

    /// The configuration as one JSON object (written beside a generated set, so a script can
    /// tell whether a set on disk is the one it wants).
    public var json: String {
        "{\"songs_per_genre\": \(songsPerGenre), \"test_songs_per_genre\": \(testFromTrain ? 0 : testSongsPerGenre), "
            + "\"test_from_train\": \(testFromTrain), \"seconds\": \(seconds), \"mashups\": \(mashups), "
            + "\"noise_clips\": \(noiseClips), \"seed\": \(seed)}\n"
    }

    /// Songs synthesised per genre: the written ones and the held-out test songs.
    public var songsMade: Int { songsPerGenre + (testFromTrain ? 0 : testSongsPerGenre) }

    /// Throws, naming the option, when a field is outside what the generator can make.
    public func validate() throws {
        guard (1...99_999).contains(songsPerGenre) else {
            throw SynthError("songsPerGenre", "expected 1 to 99999 songs per genre, got \(songsPerGenre)")
        }
        guard testFromTrain || (1...99_999).contains(testSongsPerGenre) else {
            throw SynthError(
                "testSongsPerGenre",
                "expected 1 to 99999 held-out test songs per genre, got \(testSongsPerGenre) (or build the test mashups from the training songs)"
            )
        }
        guard seconds.isFinite, (2...600).contains(seconds) else {
            throw SynthError("seconds", "expected a stem length of 2 to 600 seconds, got \(seconds)")
        }
        guard (0...9_999).contains(mashups) else {
            throw SynthError("mashups", "expected 0 to 9999 mashups (the names have four digits), got \(mashups)")
        }
        guard (1...99_999).contains(noiseClips) else {
            throw SynthError("noiseClips", "expected 1 to 99999 noise clips, got \(noiseClips)")
        }
    }
}

/// Where generation stands, for a progress bar: `done` of `total` items, and the stage
/// ("noise", "songs" or "mashups") now running.
public struct SynthProgress: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public var stage: String
}

/// A failure to generate: the option or path involved and what was expected.
public struct SynthError: Error, CustomStringConvertible, Equatable {
    public var subject: String
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}

/// What `Synth.generate` wrote.
public struct SynthSummary: Sendable {
    public struct Song: Sendable {
        public let genre: Genre
        public let index: Int
        public let bpm: Double
        public let swing: Double
        public let tonic: Int
        public let minor: Bool
        /// Path of the song's folder, relative to the data set's root.
        public let folder: String
    }

    public struct NoiseClip: Sendable {
        /// Path relative to the root, e.g. "ESC-50-master/audio/1-100032-A-0.wav".
        public let path: String
        public let category: NoiseCategory
    }

    /// The data set's folder and the answers file beside it.
    public let root: String
    public let labelsPath: String
    /// The songs written to `genres_stems`.
    public let songs: [Song]
    /// The songs the test mashups were made of when they are held out (`folder` names where
    /// each would be; nothing is written there); empty with `testFromTrain`.
    public let testSongs: [Song]
    public let noiseClips: [NoiseClip]
    public let mashups: [MashupRecipe]
    /// Wall-clock seconds the generation took.
    public let elapsed: Double
}
