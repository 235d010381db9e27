import Foundation
import Synchronization

/// Writes a synthetic data set in the exact layout of Kaggle's "Messy Mashup":
///
///     OUT/genres_stems/{genre}/{genre}.000NN/{drums,vocals,bass,other}.wav   44.1 kHz stereo PCM16
///     OUT/ESC-50-master/audio/{fold}-{src}-{take}-{target}.wav              5 s 44.1 kHz mono PCM16
///     OUT/ESC-50-master/meta/esc50.csv
///     OUT/mashups/songNNNN.wav                                              22.05 kHz mono PCM16
///     OUT/test.csv  OUT/sample_submission.csv
///     OUT.labels.csv                                                        the answers, beside OUT
///     OUT.synth.json                                                        what was made (`SynthConfig.json`)
///
/// The test mashups are made of songs of their own (`testSongsPerGenre`), synthesised like the
/// training songs but never written, so that a score on them says how a model does on music it
/// never heard, as in the competition (`testFromTrain` builds them from the written songs).
///
/// Everything is drawn from `Random(seed:)` through per-item streams, so the same seed writes
/// byte-identical files on any thread count. Work runs genre by genre: a genre's songs are
/// synthesised in parallel, written, and kept as mono 22.05 kHz stems while that genre's
/// mashups are mixed, so memory stays at one genre's worth of stems (about 1 GB at full scale).
public enum Synth {
    ///
    /// With `share` (an `mpirun` job's), the processes split the work: each makes its part of the
    /// noise clips (then all exchange their sounds, which every genre's mashups draw on) and the
    /// songs and mashups of its genres (genre g goes to part g mod parts, so at most 10 processes
    /// have songs to make); part 0 writes the tables. The files are those one process writes;
    /// the folder must be one every process sees. Every process calls this alike.
    public static func generate(
        _ config: SynthConfig, into dir: String, share: WorkShare = .alone,
        progress: (SynthProgress) -> Void = { _ in }
    ) throws -> SynthSummary {
        try config.validate()
        let started = Date()
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        guard root.path != "/" else { throw SynthError(dir, "refusing to write a data set into the file system root") }
        let labelsPath = root.path + ".labels.csv"
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SynthError(
                dir, "exists and is not a folder; expected a folder (new or from an earlier run) to write into")
        }
        let esc = root.appendingPathComponent("ESC-50-master")
        do {
            for sub in ["mashups", "ESC-50-master/audio", "ESC-50-master/meta"] {
                try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            for genre in Genre.allCases {
                for i in 0..<config.songsPerGenre {
                    try fm.createDirectory(
                        at: root.appendingPathComponent(
                            "genres_stems/\(genre.name)/\(genre.name).\(String(format: "%05d", i))"),
                        withIntermediateDirectories: true)
                }
            }
        } catch {
            throw SynthError(dir, "cannot create the data set's folders: \(error.localizedDescription)")
        }

        let base = Random(seed: config.seed)
        let testSongCount = config.testFromTrain ? config.songsPerGenre : config.testSongsPerGenre
        let myGenres = Genre.allCases.filter { $0.rawValue % share.parts == share.part }
        let myClips = share.range(of: config.noiseClips)
        let total = myClips.count + myGenres.count * config.songsMade + config.mashups
        var done = 0
        progress(SynthProgress(done: 0, total: total, stage: "noise"))

        // Noise clips: names first (sequential draws), then the sounds in parallel.
        let clips = noiseClipNames(config.noiseClips, base.stream(1 << 40))
        let madeNoise = try parallelChunks(myClips.count, stage: "noise", done: &done, total: total, progress) {
            k in
            let i = myClips.lowerBound + k
            var r = base.stream(2 << 40 | UInt64(i))
            let sound = NoiseClip.make(clips[i].category, &r)
            let audio = Audio(samples: sound, channels: 1, rate: NoiseClip.rate)
            try AudioFile.write(audio, to: root.appendingPathComponent(clips[i].path).path)
            return try audio.resampled(to: MashupRecipe.rate).samples
        }
        let noiseAt22k = try exchange(madeNoise, of: config.noiseClips, share)
        if share.part == 0 { try writeText(esc.appendingPathComponent("meta/esc50.csv"), esc50CSV(clips)) }

        // Which genre each mashup is: balanced, in shuffled order.
        var planner = base.stream(3 << 40)
        var genres = (0..<config.mashups).map { Genre.allCases[$0 % Genre.allCases.count] }
        planner.shuffle(&genres)
        let recipes = genres.enumerated().map { k, genre in
            var r = base.stream(4 << 40 | UInt64(k))
            return MashupRecipe.draw(
                id: k + 1, genre: genre, songCount: testSongCount, noiseClips: config.noiseClips, &r)
        }
        let mixSeed = base.stream(5 << 40)

        var songs: [SynthSummary.Song] = []
        var testSongs: [SynthSummary.Song] = []
        for genre in Genre.allCases {
            let described = (0..<config.songsMade).map { i in
                let drawn = SynthSong.describe(genre: genre, index: i, base: base)
                return SynthSummary.Song(
                    genre: genre, index: i, bpm: drawn.bpm, swing: drawn.swing, tonic: drawn.tonic, minor: drawn.minor,
                    folder: "genres_stems/\(genre.name)/\(genre.name).\(String(format: "%05d", i))")
            }
            songs += described.prefix(config.songsPerGenre)
            testSongs += described.dropFirst(config.songsPerGenre)
            let mine = recipes.filter { $0.genre == genre }
            guard myGenres.contains(genre) else {
                done += mine.count  // another process makes this genre's mashups
                continue
            }
            // Songs 0 ..< songsPerGenre are written; the held-out test songs follow them.
            let sources = try parallelChunks(config.songsMade, stage: "songs", done: &done, total: total, progress) {
                i in
                let song = SynthSong.make(genre: genre, index: i, seconds: config.seconds, base: base)
                let folder = root.appendingPathComponent("genres_stems/\(genre.name)/\(song.folder)")
                var stems: [[Float]] = []
                for stem in Stem.allCases {
                    let audio = song.stems[stem]!
                    if i < config.songsPerGenre {
                        try AudioFile.write(audio, to: folder.appendingPathComponent("\(stem.rawValue).wav").path)
                    }
                    stems.append(try audio.mono().resampled(to: MashupRecipe.rate).samples)
                }
                return (song, MashupSource(bpm: song.bpm, stems: stems))
            }
            let mixes =
                config.testFromTrain ? sources.map { $0.1 } : sources.dropFirst(config.songsPerGenre).map { $0.1 }
            _ = try parallelChunks(mine.count, stage: "mashups", done: &done, total: total, progress) { k in
                let samples = mine[k].mix(sources: mixes, noiseClips: noiseAt22k, seed: mixSeed)
                try AudioFile.write(
                    Audio(samples: samples, channels: 1, rate: MashupRecipe.rate),
                    to: root.appendingPathComponent(mine[k].filename).path)
            }
        }

        // Part 0 writes the tables once every part's files are written; the others wait for them.
        _ = try share.all(true)
        if share.part == 0 { try writeTables(root: root, labelsPath: labelsPath, recipes, config, base) }
        _ = try share.all(true)
        return SynthSummary(
            root: root.path, labelsPath: labelsPath, songs: songs, testSongs: testSongs,
            noiseClips: clips.map { SynthSummary.NoiseClip(path: $0.path, category: $0.category) }, mashups: recipes,
            elapsed: Date().timeIntervalSince(started))
    }

    /// test.csv, sample_submission.csv, the hidden answers and the set's description.
    private static func writeTables(
        root: URL, labelsPath: String, _ recipes: [MashupRecipe], _ config: SynthConfig, _ base: Random
    ) throws {
        try writeText(
            root.appendingPathComponent("test.csv"),
            "id,filename\n" + recipes.map { "\($0.id),\($0.filename)\n" }.joined())
        // The sample submission guesses at random, as the competition's does; it is not the answer.
        var guesser = base.stream(6 << 40)
        try writeText(
            root.appendingPathComponent("sample_submission.csv"),
            "id,genre\n" + recipes.map { "\($0.id),\(guesser.pick(Genre.allCases).name)\n" }.joined())
        try writeText(
            URL(fileURLWithPath: labelsPath), "id,genre\n" + recipes.map { "\($0.id),\($0.genre.name)\n" }.joined())
        try writeText(URL(fileURLWithPath: root.path + ".synth.json"), config.json)
    }

    /// Runs `body(i)` for every i on the engine's workers, a chunk at a time, and reports
    /// progress between chunks on the calling thread (so a progress callback never runs
    /// concurrently, nor off the caller's thread). The first error thrown stops the work.
    private static func parallelChunks<T>(
        _ count: Int, stage: String, done: inout Int, total: Int, _ progress: (SynthProgress) -> Void,
        _ body: @Sendable (Int) throws -> T
    ) throws -> [T] {
        var results: [T?] = Array(repeating: nil, count: count)
        let failure = Mutex<(any Error)?>(nil)
        let chunk = max(4, 2 * Engine.threads)
        var start = 0
        while start < count {
            let end = min(count, start + chunk)
            results.withUnsafeMutableBufferPointer { slots in
                // Each worker writes only its own indices' slots.
                nonisolated(unsafe) let out = slots
                Engine.parallelFor(end - start) { k in
                    do {
                        // Envelopes and filters decay into subnormals between notes (see withDenormalsFlushed).
                        out[start + k] = try withDenormalsFlushed { try body(start + k) }
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                    }
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
            done += end - start
            progress(SynthProgress(done: done, total: total, stage: stage))
            start = end
        }
        return results.map { $0! }
    }

    /// Every process's noise sounds (this one made `made`, its part of `count`, all of one
    /// length), in clip order, on every process.
    private static func exchange(_ made: [[Float]], of count: Int, _ share: WorkShare) throws -> [[Float]] {
        guard share.parts > 1 else { return made }
        let length = Int(NoiseClip.seconds * Double(MashupRecipe.rate))
        guard made.allSatisfy({ $0.count == length }) else {
            throw SynthError(
                "noiseClips", "a noise clip's length differs from \(length) samples; cannot share them out")
        }
        var all = [Float](repeating: 0, count: count * length)
        let mine = share.range(of: count)
        for (k, sound) in made.enumerated() {
            all.replaceSubrange(((mine.lowerBound + k) * length)..<((mine.lowerBound + k + 1) * length), with: sound)
        }
        try all.withUnsafeMutableBytes { try share.gather($0.baseAddress!, itemBytes: 4 * length, count: count) }
        return (0..<count).map { Array(all[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// ESC-50 file names `{fold}-{src_file}-{take}-{target}.wav`: folds 1-5 in turn, categories
    /// in turn, a distinct made-up source id for each clip.
    private static func noiseClipNames(_ count: Int, _ seed: Random) -> [(
        path: String, name: String, fold: Int, category: NoiseCategory, source: Int
    )] {
        var r = seed
        var used = Set<Int>()
        let categories = NoiseCategory.allCases
        return (0..<count).map { i in
            var source = 0
            repeat { source = r.int(in: 100_000...299_999) } while !used.insert(source).inserted
            let fold = 1 + i % 5
            let category = categories[i % categories.count]
            let name = "\(fold)-\(source)-A-\(category.target).wav"
            return (path: "ESC-50-master/audio/\(name)", name: name, fold: fold, category: category, source: source)
        }
    }

    private static func esc50CSV(
        _ clips: [(path: String, name: String, fold: Int, category: NoiseCategory, source: Int)]
    ) -> String {
        "filename,fold,target,category,esc10,src_file,take\n"
            + clips.sorted { $0.name < $1.name }.map { c in
                "\(c.name),\(c.fold),\(c.category.target),\(c.category.name),\(c.category.esc10 ? "True" : "False"),\(c.source),A\n"
            }.joined()
    }

    /// Writes `text` whole or not at all: to a temporary file in the same folder, then renamed.
    private static func writeText(_ url: URL, _ text: String) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temp)
            guard rename(temp.path, url.path) == 0 else {
                throw SynthError(
                    url.path, "cannot move the written file into place: \(String(cString: strerror(errno)))")
            }
        } catch let error as SynthError {
            unlink(temp.path)
            throw error
        } catch {
            unlink(temp.path)
            throw SynthError(url.path, "cannot write: \(error.localizedDescription)")
        }
    }
}
