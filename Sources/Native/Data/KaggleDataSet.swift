import Foundation
import Synchronization

/// The Messy Mashup data set on disk, indexed and validated:
///
///     genres_stems/{genre}/{song}/{drums,vocals,bass,other}.wav   training stems
///     ESC-50-master/audio/*.wav  (+ meta/esc50.csv when present)   noise clips
///     mashups/*.wav  test.csv (id,filename)  sample_submission.csv (id,genre)
///
/// Opening checks every file's header (not its samples) and reports every problem it finds in
/// one `DataSetError`: missing genre folders, songs missing a stem, unreadable or empty files,
/// rates that disagree within a group, test.csv rows whose file is missing, duplicate ids.
/// test.csv's filename column may hold "mashups/song0001.wav" (the competition's form) or a
/// bare "song0001.wav", which is looked up in mashups/. test.csv and sample_submission.csv are
/// optional (a training-only copy of the data); without test.csv the files of mashups/ are the
/// test set, each with its file name (less the extension) as id.
public struct KaggleDataSet: Sendable {
    public struct Song: Sendable, Equatable {
        public let genre: Genre
        /// The song's folder name, e.g. "jazz.00042".
        public let name: String
        /// Absolute paths of the four stems, in `Stem.allCases` order.
        public let stems: [String]
        /// The stems' rate and length in frames (the longest of the four).
        public let rate: Int
        public let frames: Int
    }

    public struct NoiseClip: Sendable, Equatable {
        public let path: String
        /// ESC-50's category ("rain", "dog", ...) from meta/esc50.csv, when the file lists it.
        public let category: String?
        public let frames: Int
        public let rate: Int
    }

    public struct TestItem: Sendable, Equatable {
        public let id: String
        public let path: String
        public let frames: Int
        public let rate: Int
    }

    public let root: String
    /// Genre by genre in label order, songs sorted by folder name.
    public let songs: [Song]
    public let noiseClips: [NoiseClip]
    /// In test.csv's order.
    public let test: [TestItem]
    /// sample_submission.csv's ids in order (empty without the file): the order a submission keeps.
    public let submissionIds: [String]
    /// Every indexed file with its size and modification time, one line each: what a cache key
    /// hashes, so that a changed file invalidates what was computed from it.
    public let fingerprint: String

    /// How many of the songs `indices` (all by default) each genre has, in label order, genres
    /// without any left out.
    public func genreCounts(of indices: [Int]? = nil) -> [(genre: Genre, count: Int)] {
        var counts = [Int](repeating: 0, count: Genre.allCases.count)
        for i in indices ?? Array(songs.indices) { counts[songs[i].genre.rawValue] += 1 }
        return Genre.allCases.filter { counts[$0.rawValue] > 0 }.map { ($0, counts[$0.rawValue]) }
    }

    /// Song indices of each genre, in label order.
    public var songsByGenre: [[Int]] {
        var byGenre = [[Int]](repeating: [], count: Genre.allCases.count)
        for (i, song) in songs.enumerated() { byGenre[song.genre.rawValue].append(i) }
        return byGenre
    }

    public init(root path: String) throws {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        var scan = Scan(root: root)
        try scan.checkRoot(path)
        let songFolders = scan.songFolders()
        let noisePaths = scan.noiseFiles()
        let categories = scan.noiseCategories()
        let testRows = scan.testRows()
        scan.checkSubmission()

        // Headers of every file, read in parallel (each open is a few system calls).
        let stemPaths = songFolders.flatMap { $0.stems.compactMap { $0 } }
        let headers = Scan.headers(stemPaths + noisePaths + testRows.map(\.path))
        var info: [String: AudioInfo] = [:]
        for (file, result) in zip(stemPaths + noisePaths + testRows.map(\.path), headers) {
            switch result {
            case .success(let header): info[file] = header
            case .failure(let error): scan.problem(scan.relative(Scan.message(error, file: file)))
            }
        }
        scan.checkRates(stemPaths, info, group: "stems")
        scan.checkRates(noisePaths, info, group: "noise clips")
        scan.checkRates(testRows.map(\.path), info, group: "test mashups")
        guard scan.problems.isEmpty else { throw DataSetError(root: root, problems: scan.problems) }

        self.root = root
        songs = songFolders.map { folder in
            let stems = folder.stems.map { $0! }
            let headers = stems.map { info[$0]! }
            return Song(
                genre: folder.genre, name: folder.name, stems: stems, rate: headers[0].rate,
                frames: headers.map(\.frames).max()!)
        }
        noiseClips = noisePaths.map { p in
            NoiseClip(
                path: p, category: categories[(p as NSString).lastPathComponent], frames: info[p]!.frames,
                rate: info[p]!.rate)
        }
        test = testRows.map {
            TestItem(id: $0.id, path: $0.path, frames: info[$0.path]!.frames, rate: info[$0.path]!.rate)
        }
        submissionIds = scan.submissionIds
        fingerprint = scan.fingerprint(stemPaths + noisePaths + testRows.map(\.path))
    }
}

/// The walk over a data set's folders, collecting problems as it goes.
private struct Scan {
    let root: String
    var problems: [String] = []
    var submissionIds: [String] = []
    /// Every id test.csv lists, including rows whose file is missing.
    var testIds: [String] = []
    private let fm = FileManager.default

    init(root: String) { self.root = root }

    mutating func problem(_ text: String) { problems.append(text) }

    func relative(_ text: String) -> String { text.replacingOccurrences(of: root + "/", with: "") }

    func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fm.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Visible entries of a folder, sorted.
    func entries(_ path: String) -> [String] {
        ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func checkRoot(_ given: String) throws {
        guard isFolder(root) else {
            throw DataSetError(root: given, problems: ["no such folder (expected the data set's root folder)"])
        }
    }

    /// genres_stems/{genre}/{song}/, each with the stem files it has (nil: missing).
    mutating func songFolders() -> [(genre: Genre, name: String, stems: [String?])] {
        let base = root + "/genres_stems"
        guard isFolder(base) else {
            problem(
                "genres_stems/: missing folder (expected genres_stems/{genre}/{song}/{drums,vocals,bass,other}.wav)")
            return []
        }
        for name in entries(base) where Genre(name: name) == nil {
            problem(
                "genres_stems/\(name): not one of the 10 genres (\(Genre.allCases.map(\.name).joined(separator: ", ")))"
            )
        }
        var found: [(Genre, String, [String?])] = []
        for genre in Genre.allCases {
            let folder = "\(base)/\(genre.name)"
            guard isFolder(folder) else {
                problem("genres_stems/\(genre.name)/: missing genre folder")
                continue
            }
            let songs = entries(folder).filter { isFolder("\(folder)/\($0)") }
            if songs.isEmpty { problem("genres_stems/\(genre.name)/: no song folders") }
            for song in songs {
                let files = entries("\(folder)/\(song)")
                let stems: [String?] = Stem.allCases.map { stem in
                    // drums.wav as the competition writes it, or drums.flac etc. from a converted copy.
                    let file =
                        files.first { $0 == "\(stem.rawValue).wav" }
                        ?? files.first { ($0 as NSString).deletingPathExtension == stem.rawValue }
                    return file.map { "\(folder)/\(song)/\($0)" }
                }
                let missing = zip(Stem.allCases, stems).filter { $0.1 == nil }.map { "\($0.0.rawValue).wav" }
                if !missing.isEmpty {
                    problem("genres_stems/\(genre.name)/\(song)/: missing \(missing.joined(separator: ", "))")
                }
                found.append((genre, song, stems))
            }
        }
        return found.filter { $0.2.allSatisfy { $0 != nil } }.map { (genre: $0.0, name: $0.1, stems: $0.2) }
    }

    mutating func noiseFiles() -> [String] {
        let folder = root + "/ESC-50-master/audio"
        guard isFolder(folder) else {
            problem("ESC-50-master/audio/: missing folder (expected the ESC-50 noise clips)")
            return []
        }
        let files = entries(folder).filter { !isFolder("\(folder)/\($0)") }.map { "\(folder)/\($0)" }
        if files.isEmpty { problem("ESC-50-master/audio/: no noise clips") }
        return files
    }

    /// File name to category from ESC-50-master/meta/esc50.csv, when present.
    mutating func noiseCategories() -> [String: String] {
        let path = root + "/ESC-50-master/meta/esc50.csv"
        guard fm.fileExists(atPath: path) else { return [:] }
        do {
            let table = try CSVTable.read(path)
            let (file, category) = (try table.column("filename", in: path), try table.column("category", in: path))
            var map: [String: String] = [:]
            for row in table.records where row.fields.count > max(file, category) {
                map[row.fields[file]] = row.fields[category]
            }
            return map
        } catch {
            problem(relative("\(error)"))
            return [:]
        }
    }

    /// test.csv's rows, each resolved to a path; without test.csv, the files of mashups/.
    mutating func testRows() -> [(id: String, path: String)] {
        let path = root + "/test.csv"
        guard fm.fileExists(atPath: path) else {
            return entries(root + "/mashups").map {
                (id: ($0 as NSString).deletingPathExtension, path: "\(root)/mashups/\($0)")
            }
        }
        let table: CSVTable
        let idColumn: Int
        let fileColumn: Int
        do {
            table = try CSVTable.read(path)
            (idColumn, fileColumn) = (try table.column("id", in: path), try table.column("filename", in: path))
        } catch {
            problem(relative("\(error)"))
            return []
        }
        var rows: [(id: String, path: String)] = []
        var firstLine: [String: Int] = [:]
        for row in table.records {
            guard row.fields.count > max(idColumn, fileColumn), !row.fields[idColumn].isEmpty,
                !row.fields[fileColumn].isEmpty
            else {
                problem(
                    "test.csv line \(row.line): expected an id and a filename, got '\(row.fields.joined(separator: ","))'"
                )
                continue
            }
            let id = row.fields[idColumn]
            if let first = firstLine[id] {
                problem("test.csv line \(row.line): duplicate id \(id) (first on line \(first))")
                continue
            }
            firstLine[id] = row.line
            testIds.append(id)
            let name = row.fields[fileColumn]
            // "mashups/song0001.wav" is relative to the root; a bare "song0001.wav" lives in mashups/.
            let file = name.hasPrefix("/") ? name : name.contains("/") ? "\(root)/\(name)" : "\(root)/mashups/\(name)"
            guard fm.fileExists(atPath: file) else {
                problem("test.csv line \(row.line): id \(id): \(relative(file)) does not exist")
                continue
            }
            rows.append((id: id, path: file))
        }
        return rows
    }

    mutating func checkSubmission() {
        let path = root + "/sample_submission.csv"
        guard fm.fileExists(atPath: path) else { return }
        do {
            let table = try CSVTable.read(path)
            let (idColumn, genreColumn) = (try table.column("id", in: path), try table.column("genre", in: path))
            var seen = Set<String>()
            let known = Set(testIds)
            for row in table.records {
                guard row.fields.count > max(idColumn, genreColumn) else {
                    problem("sample_submission.csv line \(row.line): expected an id and a genre")
                    continue
                }
                let id = row.fields[idColumn]
                if !seen.insert(id).inserted {
                    problem("sample_submission.csv line \(row.line): duplicate id \(id)")
                } else if !testIds.isEmpty && !known.contains(id) {
                    problem("sample_submission.csv line \(row.line): id \(id) is not in test.csv")
                }
                submissionIds.append(id)
            }
        } catch {
            problem(relative("\(error)"))
        }
    }

    /// Flags the files of `group` whose rate differs from the group's most common rate.
    mutating func checkRates(_ files: [String], _ info: [String: AudioInfo], group: String) {
        let rates = files.compactMap { info[$0]?.rate }
        var counts: [Int: Int] = [:]
        for rate in rates { counts[rate, default: 0] += 1 }
        guard counts.count > 1, let common = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else {
            return
        }
        for file in files {
            if let rate = info[file]?.rate, rate != common {
                problem("\(relative(file)): \(rate) Hz, but the other \(group) are \(common) Hz")
            }
        }
    }

    static func headers(_ files: [String]) -> [Result<AudioInfo, any Error>] {
        let results = Mutex([Result<AudioInfo, any Error>?](repeating: nil, count: files.count))
        Engine.parallelFor(files.count) { i in
            let header = Result { try AudioFile.info(files[i]) }
            results.withLock { $0[i] = header }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// An unreadable file's message, starting with its path.
    static func message(_ error: any Error, file: String) -> String {
        if let error = error as? AudioError, error.subject == file { return "\(file): \(error.reason)" }
        return "\(file): \(error)"
    }

    /// "relative/path size mtime" per file, plus the csv files, sorted.
    func fingerprint(_ files: [String]) -> String {
        let extra = ["test.csv", "sample_submission.csv", "ESC-50-master/meta/esc50.csv"].map { "\(root)/\($0)" }
        return (files + extra.filter { fm.fileExists(atPath: $0) }).sorted().map { file in
            let attributes = (try? fm.attributesOfItem(atPath: file)) ?? [:]
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(relative(file)) \(size) \(Int64(modified * 1000))"
        }.joined(separator: "\n")
    }
}
