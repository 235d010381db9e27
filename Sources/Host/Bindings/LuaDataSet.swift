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
        var counts = [Int](repeating: 0, count: Genre.allCases.count)
        for song in dataSet.songs { counts[song.genre.rawValue] += 1 }
        return
            "Messy Mashup data set \(dataSet.root): \(dataSet.songs.count) songs in \(counts.filter { $0 > 0 }.count) genres, "
            + "\(dataSet.noiseClips.count) noise clips, \(dataSet.test.count) test mashups"
    }

    /// `ds.root`, `ds.noise_clips` (count), `ds.test_count`.
    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "root": lua.push(dataSet.root)
        case "noise_clips": lua.push(dataSet.noiseClips.count)
        case "test_count": lua.push(dataSet.test.count)
        default: return false
        }
        return true
    }

    static func receiver(_ lua: Lua) throws -> DataSetObject { try lua.object(1, as: DataSetObject.self) }

    /// Pushes song `i` (0-based) as `{index =, genre =, label =, name =, stems = {drums =, ...},
    /// rate =, seconds =}`, index and label 1-based.
    func pushSong(_ lua: Lua, _ i: Int) throws {
        let song = dataSet.songs[i]
        try lua.reserve(4)
        lua_createtable(lua.L, 0, 7)
        lua.field("index", i + 1)
        lua.field("genre", song.genre.name)
        lua.field("label", song.genre.rawValue + 1)
        lua.field("name", song.name)
        lua_createtable(lua.L, 0, 4)
        for (stem, path) in zip(Stem.allCases, song.stems) {
            lua.push(path)
            lua.setField(-2, stem.rawValue)
        }
        lua.setField(-2, "stems")
        lua.field("rate", song.rate)
        lua.field("seconds", Double(song.frames) / Double(song.rate))
    }

    /// Pushes the songs `indices` (0-based) as a sequence of song tables.
    func pushSongs(_ lua: Lua, _ indices: [Int]) throws {
        try lua.reserve(2)
        lua_createtable(lua.L, Int32(indices.count), 0)
        for (k, i) in indices.enumerated() {
            try pushSong(lua, i)
            lua_rawseti(lua.L, -2, lua_Integer(k + 1))
        }
    }

    /// Pushes a split as `{train = songs, val = songs}`.
    func pushSplit(_ lua: Lua, _ split: DataSplit) throws {
        try lua.reserve(3)
        lua_createtable(lua.L, 0, 2)
        lua.field("train", SongsObject(self, split.train))
        lua.field("val", SongsObject(self, split.validation))
    }

    static let methods: [Binding] = [
        // ds:genres() -> the ten genre names in label order (label i is genres[i]).
        Binding("genres") { lua in
            _ = try receiver(lua)
            try lua.reserve(2)
            lua_createtable(lua.L, Int32(Genre.allCases.count), 0)
            for genre in Genre.allCases {
                lua.push(genre.name)
                lua_rawseti(lua.L, -2, lua_Integer(genre.rawValue + 1))
            }
            return 1
        },
        // ds:songs() -> every song, genre by genre: {index =, genre =, label =, name =, stems =, ...}.
        Binding("songs") { lua in
            let ds = try receiver(lua)
            try ds.pushSongs(lua, Array(ds.dataSet.songs.indices))
            return 1
        },
        // ds:all() -> every song as a songs object (what a builder takes).
        Binding("all") { lua in
            let ds = try receiver(lua)
            return lua.result(SongsObject(ds, Array(ds.dataSet.songs.indices)))
        },
        // ds:test() -> the test mashups in test.csv's order: {id =, path =, seconds =}.
        Binding("test") { lua in
            let items = try receiver(lua).dataSet.test
            try lua.reserve(4)
            lua_createtable(lua.L, Int32(items.count), 0)
            for (k, item) in items.enumerated() {
                lua_createtable(lua.L, 0, 3)
                lua.field("id", item.id)
                lua.field("path", item.path)
                lua.field("seconds", Double(item.frames) / Double(item.rate))
                lua_rawseti(lua.L, -2, lua_Integer(k + 1))
            }
            return 1
        },
        // ds:noise() -> the noise clips: {path =, category = (from esc50.csv, or nil)}.
        Binding("noise") { lua in
            let clips = try receiver(lua).dataSet.noiseClips
            try lua.reserve(4)
            lua_createtable(lua.L, Int32(clips.count), 0)
            for (k, clip) in clips.enumerated() {
                lua_createtable(lua.L, 0, 2)
                lua.field("path", clip.path)
                if let category = clip.category {
                    lua.field("category", category)
                }
                lua_rawseti(lua.L, -2, lua_Integer(k + 1))
            }
            return 1
        },
        // ds:fingerprint() -> one line per indexed file (path, size, modification time): what
        // cache keys hash.
        Binding("fingerprint") { lua in lua.result(try receiver(lua).dataSet.fingerprint) },
        // ds:split{val = 0.15, seed =} -> {train = songs, val = songs}: by song, stratified by genre.
        Binding("split") { lua in
            let ds = try receiver(lua)
            let options = try lua.options(2)
            try options.only(["val", "seed"])
            let fraction = try options.number("val", default: 0.15)
            let seed = try options.seed(default: Engine.defaultSeed)
            let split = try options.naming(["val"]) {
                do {
                    return try DataSplit(ds.dataSet, validationFraction: fraction, seed: seed)
                } catch let error as DataError {
                    throw DataError("val", error.reason)
                }
            }
            try ds.pushSplit(lua, split)
            return 1
        },
        // ds:folds{k = 5, seed =} -> k splits {train =, val =}; every song is validated once.
        Binding("folds") { lua in
            let ds = try receiver(lua)
            let options = try lua.options(2)
            try options.only(["k", "seed"])
            let k = try options.integer("k", default: 5)
            let seed = try options.seed(default: Engine.defaultSeed)
            let folds = try options.naming(["k"]) {
                do {
                    return try DataSplit.folds(ds.dataSet, k: k, seed: seed)
                } catch let error as DataError {
                    throw DataError("k", error.reason)
                }
            }
            try lua.reserve(2)
            lua_createtable(lua.L, Int32(folds.count), 0)
            for (i, fold) in folds.enumerated() {
                try ds.pushSplit(lua, fold)
                lua_rawseti(lua.L, -2, lua_Integer(i + 1))
            }
            return 1
        },
    ]

    static let metamethods: [Binding] = [
        // #ds: the number of songs.
        Binding("__len") { lua in lua.result(try receiver(lua).dataSet.songs.count) }
    ]
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
        var counts = [Int](repeating: 0, count: Genre.allCases.count)
        for i in indices { counts[dataSet.dataSet.songs[i].genre.rawValue] += 1 }
        let byGenre = Genre.allCases.filter { counts[$0.rawValue] > 0 }.map { "\($0.name) \(counts[$0.rawValue])" }
        return "songs: \(indices.count) of \(dataSet.dataSet.songs.count) (\(byGenre.joined(separator: ", ")))"
    }

    static func receiver(_ lua: Lua) throws -> SongsObject { try lua.object(1, as: SongsObject.self) }

    static let methods: [Binding] = [
        // songs:songs() -> the song tables, as ds:songs() gives them.
        Binding("songs") { lua in
            let songs = try receiver(lua)
            try songs.dataSet.pushSongs(lua, songs.indices)
            return 1
        },
        // songs:indices() -> the 1-based song indices into ds:songs().
        Binding("indices") { lua in
            try lua.push(integers: try receiver(lua).indices.map { $0 + 1 })
            return 1
        },
    ]

    /// `songs.dataset`.
    func property(_ name: String, lua: Lua) throws -> Bool {
        guard name == "dataset" else { return false }
        lua.push(dataSet)
        return true
    }

    static let metamethods: [Binding] = [
        Binding("__len") { lua in lua.result(try receiver(lua).indices.count) }
    ]
}

extension LuaData {
    /// mm.data.kaggle(dir) -> the data set, validated: every problem of the layout in one error.
    static func kaggle(_ lua: Lua) throws -> Int32 {
        return lua.result(DataSetObject(try KaggleDataSet(root: try lua.string(1))))
    }
}
