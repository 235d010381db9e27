import CLua
import Foundation
import Native
import Synchronization

/// A Messy Mashup data set as Lua holds it (`mm.data.kaggle(dir)`): the validated index, and
/// the stem bank decoded from it the first time a builder needs one, so that decoding happens
/// once per data set however many builders, caches and loaders a script makes.
final class DataSetObject: LuaObject, Sendable {
    let dataSet: KaggleDataSet
    private let defaultBank = Mutex<StemBank?>(nil)

    init(_ dataSet: KaggleDataSet) { self.dataSet = dataSet }

    static let luaTypeName = "mashup.dataset"

    /// The bank with default options (float32 at 22.05 kHz), decoded on first use.
    func bank() throws -> StemBank {
        try defaultBank.withLock { bank in
            if let bank { return bank }
            let decoded = try StemBank(dataSet)
            bank = decoded
            return decoded
        }
    }

    var luaDescription: String {
        "Messy Mashup data set \(dataSet.root): \(dataSet.songs.count) songs in \(dataSet.genreCounts().count) genres, "
            + "\(dataSet.noiseClips.count) noise clips, \(dataSet.test.count) test mashups"
    }

    /// `ds.root`, `ds.noise_clips` (count), `ds.test_count`.
    static let properties: Properties = [
        "root": { $0.dataSet.root },
        "noise_clips": { $0.dataSet.noiseClips.count },
        "test_count": { $0.dataSet.test.count },
    ]

    /// Song `i` (0-based) as `{index =, genre =, label =, name =, stems = {drums =, ...},
    /// rate =, seconds =}`, index and label 1-based.
    func song(_ i: Int) -> LuaRecord {
        let song = dataSet.songs[i]
        return LuaRecord([
            "index": i + 1, "genre": song.genre.name, "label": song.genre.rawValue + 1, "name": song.name,
            "stems": LuaRecord(zip(Stem.allCases, song.stems).map { ($0.rawValue, $1) }),
            "rate": song.rate, "seconds": Double(song.frames) / Double(song.rate),
        ])
    }

    /// A split as `{train = songs, val = songs}`.
    func split(_ split: DataSplit) -> LuaRecord {
        LuaRecord(["train": SongsObject(self, split.train), "val": SongsObject(self, split.validation)])
    }

    static let methods: [Binding] = [
        // ds:genres() -> the ten genre names in label order (label i is genres[i]).
        Binding("genres") { lua in
            _ = try receiver(lua)
            return try lua.result(Genre.allCases.map(\.name))
        },
        // ds:songs() -> every song, genre by genre: {index =, genre =, label =, name =, stems =, ...}.
        Binding("songs") { lua in
            let ds = try receiver(lua)
            return try lua.result(ds.dataSet.songs.indices.map(ds.song))
        },
        // ds:all() -> every song as a songs object (what a builder takes).
        Binding("all") { lua in
            let ds = try receiver(lua)
            return try lua.result(SongsObject(ds, Array(ds.dataSet.songs.indices)))
        },
        // ds:test() -> the test mashups in test.csv's order: {id =, path =, seconds =}.
        Binding("test") { lua in
            let items = try receiver(lua).dataSet.test
            return try lua.result(
                items.map { LuaRecord(["id": $0.id, "path": $0.path, "seconds": Double($0.frames) / Double($0.rate)]) })
        },
        // ds:noise() -> the noise clips: {path =, category = (from esc50.csv, or nil)}.
        Binding("noise") { lua in
            let clips = try receiver(lua).dataSet.noiseClips
            return try lua.result(clips.map { LuaRecord(["path": $0.path, "category": $0.category]) })
        },
        // ds:fingerprint() -> one line per indexed file (path, size, modification time): what
        // cache keys hash.
        Binding("fingerprint") { lua in try lua.result(receiver(lua).dataSet.fingerprint) },
        // ds:split{val = 0.15, seed =} -> {train = songs, val = songs}: by song, stratified by genre.
        Binding("split") { lua in
            let ds = try receiver(lua)
            let options = try lua.options(2, only: ["val", "seed"])
            let fraction = try options.number("val", default: 0.15)
            let seed = try options.seed(default: Engine.defaultSeed)
            let split = try options.naming([], renamed: ["validation_split": "val"]) {
                try DataSplit(ds.dataSet, validationFraction: fraction, seed: seed)
            }
            return try lua.result(ds.split(split))
        },
        // ds:folds{k = 5, seed =} -> k splits {train =, val =}; every song is validated once.
        Binding("folds") { lua in
            let ds = try receiver(lua)
            let options = try lua.options(2, only: ["k", "seed"])
            let k = try options.integer("k", default: 5)
            let seed = try options.seed(default: Engine.defaultSeed)
            let folds = try options.naming([], renamed: ["folds": "k"]) {
                try DataSplit.folds(ds.dataSet, k: k, seed: seed)
            }
            return try lua.result(folds.map(ds.split))
        },
    ]

    /// `#ds`: the number of songs.
    static let metamethods = [length { $0.dataSet.songs.count }]
}

/// A subset of a data set's songs (a split's training or validation side): what builders and
/// caches draw from.
final class SongsObject: LuaObject, Sendable {
    let dataSet: DataSetObject
    /// 0-based song indices, ascending.
    let indices: [Int]

    init(_ dataSet: DataSetObject, _ indices: [Int]) { (self.dataSet, self.indices) = (dataSet, indices) }

    static let luaTypeName = "mashup.songs"

    var luaDescription: String {
        let byGenre = dataSet.dataSet.genreCounts(of: indices).map { "\($0.genre.name) \($0.count)" }
        return "songs: \(indices.count) of \(dataSet.dataSet.songs.count) (\(byGenre.joined(separator: ", ")))"
    }

    static let methods: [Binding] = [
        // songs:songs() -> the song tables, as ds:songs() gives them.
        Binding("songs") { lua in
            let songs = try receiver(lua)
            return try lua.result(songs.indices.map(songs.dataSet.song))
        },
        // songs:indices() -> the 1-based song indices into ds:songs().
        Binding("indices") { lua in try lua.result(receiver(lua).indices.map { $0 + 1 }) },
    ]

    /// `songs.dataset`.
    static let properties: Properties = ["dataset": { $0.dataSet }]

    static let metamethods = [length { $0.indices.count }]
}

extension LuaData {
    /// mm.data.kaggle(dir) -> the data set, validated: every problem of the layout in one error.
    static let kaggle = Binding("kaggle") { lua in
        try lua.result(DataSetObject(try KaggleDataSet(root: try lua.string(1))))
    }
}
