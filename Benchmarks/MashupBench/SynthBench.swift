import Foundation
import Native

/// Times `Synth.generate` and measures how hard the data set it makes is.
///
/// - small: the whole `small` set, wall time (target: 30 s on 2 cores).
/// - full (extrapolated): full-scale items (30 s songs, 2 songs per genre, 20 mashups, 20
///   clips) timed per stage through the progress callback, then scaled to 1,000 songs, 3,020
///   mashups and 2,000 clips (target: 15 min on 2 cores).
/// - difficulty: macro F1 of a nearest-centroid classifier on the mean log-mel (128 bands,
///   librosa's melspectrogram + power_to_db) of each `small` test mashup, with centroids from
///   (a) the clean sum of each training song's stems, (b) the other mashups (5-fold). Chance is
///   0.1; above 0.9 the genres would be too easy to tell apart.
enum SynthBench {
    static var folder: String { ProcessInfo.processInfo.environment["MASHUP_BENCH_DIR"] ?? "/tmp/mashup-bench" }

    static func emit(_ bench: String, _ fields: String) {
        print(
            "{\"suite\": \"synth\", \"impl\": \"mashup\", \"bench\": \"\(bench)\", \"threads\": \(Engine.threads), \(fields)}"
        )
    }

    /// Generates `config` into `dir`, returning the summary and the seconds spent per stage.
    static func timed(_ config: SynthConfig, _ dir: String) throws -> (SynthSummary, [String: Double]) {
        try? FileManager.default.removeItem(atPath: dir)
        var stages: [String: Double] = [:]
        var last = Date()
        let summary = try Synth.generate(config, into: dir) { p in
            let now = Date()
            stages[p.stage, default: 0] += now.timeIntervalSince(last)
            last = now
        }
        return (summary, stages)
    }

    static func run() throws {
        let small = folder + "/synth-small/messy_mashup"
        let (summary, _) = try timed(.small, small)
        emit(
            "generate_small",
            String(
                format: "\"seconds\": %.2f, \"songs\": %d, \"mashups\": %d", summary.elapsed, summary.songs.count,
                summary.mashups.count))

        // Per song, mashup and clip of the full set's length, from a probe of 2 written and 1
        // held-out song per genre (the held-out test songs are rendered too: 1,300 songs in all).
        var probe = SynthConfig.full
        (probe.songsPerGenre, probe.testSongsPerGenre, probe.mashups, probe.noiseClips) = (2, 1, 20, 20)
        let probeDir = folder + "/synth-full-probe/messy_mashup"
        let (_, stages) = try timed(probe, probeDir)
        let genres = Double(Genre.allCases.count)
        let perSong = stages["songs", default: 0] / (Double(probe.songsMade) * genres)
        let perMashup = stages["mashups", default: 0] / Double(probe.mashups)
        let perClip = stages["noise", default: 0] / Double(probe.noiseClips)
        let full = SynthConfig.full
        let fullSeconds =
            perSong * Double(full.songsMade) * genres + perMashup * Double(full.mashups) + perClip
            * Double(full.noiseClips)
        emit(
            "generate_full_extrapolated",
            String(
                format: "\"seconds\": %.1f, \"per_song_s\": %.3f, \"per_mashup_s\": %.3f, \"per_clip_s\": %.4f",
                fullSeconds, perSong, perMashup, perClip))
        try? FileManager.default.removeItem(atPath: (probeDir as NSString).deletingLastPathComponent)

        let (clean, folds) = try difficulty(summary)
        emit(
            "nearest_centroid_macro_f1",
            String(
                format: "\"clean_stem_centroids\": %.3f, \"mashup_centroids_5fold\": %.3f, \"chance\": 0.1", clean,
                folds))
    }

    /// Mean over time of the dB mel spectrogram: one 128-vector per clip.
    static func meanLogMel(_ samples: [Float], _ mel: MelSpectrogram) throws -> [Float] {
        let s = try mel(samples).powerToDB()
        return (0..<s.bins).map { b in s.row(b).reduce(0, +) / Float(s.frames) }
    }

    static func difficulty(_ summary: SynthSummary) throws -> (clean: Double, folds: Double) {
        let mel = try MelSpectrogram()
        let root = summary.root
        var trainX: [[Float]] = []
        var trainY: [Int] = []
        for song in summary.songs {
            var mix: Audio?
            for stem in Stem.allCases {
                let a = try AudioFile.read("\(root)/\(song.folder)/\(stem.rawValue).wav")
                if mix == nil { mix = a } else { for i in 0..<a.samples.count { mix!.samples[i] += a.samples[i] } }
            }
            trainX.append(try meanLogMel(try mix!.mono().resampled(to: 22_050).samples, mel))
            trainY.append(song.genre.rawValue)
        }
        var testX: [[Float]] = []
        var testY: [Int] = []
        for recipe in summary.mashups {
            testX.append(try meanLogMel(try AudioFile.read("\(root)/\(recipe.filename)").samples, mel))
            testY.append(recipe.genre.rawValue)
        }
        let clean = macroF1(testY, predict(testX, centroids(trainX, trainY)))
        var predicted = [Int](repeating: 0, count: testX.count)
        for fold in 0..<5 {
            let train = testX.indices.filter { $0 % 5 != fold }
            let c = centroids(train.map { testX[$0] }, train.map { testY[$0] })
            for i in testX.indices where i % 5 == fold { predicted[i] = predict([testX[i]], c)[0] }
        }
        return (clean, macroF1(testY, predicted))
    }

    static func centroids(_ x: [[Float]], _ y: [Int]) -> [[Float]] {
        (0..<Genre.allCases.count).map { g in
            let members = x.indices.filter { y[$0] == g }
            return (0..<x[0].count).map { d in members.reduce(0) { $0 + x[$1][d] } / Float(max(1, members.count)) }
        }
    }

    static func predict(_ x: [[Float]], _ centroids: [[Float]]) -> [Int] {
        x.map { v in
            centroids.indices.min { a, b in
                zip(v, centroids[a]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    < zip(v, centroids[b]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }!
        }
    }

    /// The mean over classes of F1 = 2·TP / (2·TP + FP + FN); a class never predicted nor
    /// present counts 0, as sklearn's f1_score(average="macro", zero_division=0) does.
    static func macroF1(_ truth: [Int], _ predicted: [Int]) -> Double {
        let classes = Genre.allCases.count
        var f1 = 0.0
        for c in 0..<classes {
            let tp = zip(truth, predicted).filter { $0 == c && $1 == c }.count
            let fp = zip(truth, predicted).filter { $0 != c && $1 == c }.count
            let fn = zip(truth, predicted).filter { $0 == c && $1 != c }.count
            f1 += 2 * tp + fp + fn > 0 ? Double(2 * tp) / Double(2 * tp + fp + fn) : 0
        }
        return f1 / Double(classes)
    }
}
