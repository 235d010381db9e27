/// A partition of a data set's songs into training and validation, by song: every mashup
/// built from a validation song's stems stays out of training, so no stem leaks across.
public struct DataSplit: Sendable, Equatable {
    /// Song indices (into `KaggleDataSet.songs`), ascending.
    public let train: [Int]
    public let validation: [Int]

    /// Stratified by genre: each genre's songs are shuffled by `seed` and round(fraction x n)
    /// of them (at least one, when the genre has two or more) go to validation.
    public init(_ dataSet: KaggleDataSet, validationFraction: Double = 0.15, seed: UInt64) throws {
        guard validationFraction.isFinite, (0..<1).contains(validationFraction) else {
            throw DataError("validation_split", "expected a fraction in [0, 1), got \(validationFraction)")
        }
        var train: [Int] = []
        var validation: [Int] = []
        for (genre, var songs) in dataSet.songsByGenre.enumerated() {
            var r = Random(seed: seed).stream(UInt64(genre))
            r.shuffle(&songs)
            var held = Int((validationFraction * Double(songs.count)).rounded())
            if validationFraction > 0, songs.count >= 2 { held = max(1, min(songs.count - 1, held)) }
            validation += songs.prefix(held)
            train += songs.dropFirst(held)
        }
        self.train = train.sorted()
        self.validation = validation.sorted()
    }

    public init(train: [Int], validation: [Int]) {
        self.train = train.sorted()
        self.validation = validation.sorted()
    }

    /// k folds by song for an ensemble: each genre's songs are shuffled by `seed` and dealt
    /// round-robin into k groups; fold i validates on group i and trains on the others.
    public static func folds(_ dataSet: KaggleDataSet, k: Int, seed: UInt64) throws -> [DataSplit] {
        guard k >= 2 else { throw DataError("folds", "expected at least 2 folds, got \(k)") }
        var groups = [[Int]](repeating: [], count: k)
        var dealt = 0
        for (genre, var songs) in dataSet.songsByGenre.enumerated() {
            var r = Random(seed: seed).stream(UInt64(genre))
            r.shuffle(&songs)
            // Continue the deal where the last genre stopped, so fold sizes differ by at most one.
            for song in songs {
                groups[dealt % k].append(song)
                dealt += 1
            }
        }
        guard groups.allSatisfy({ !$0.isEmpty }) else {
            throw DataError("folds", "\(k) folds need at least \(k) songs, the data set has \(dataSet.songs.count)")
        }
        return (0..<k).map { i in
            DataSplit(train: groups.enumerated().filter { $0.offset != i }.flatMap(\.element), validation: groups[i])
        }
    }
}
