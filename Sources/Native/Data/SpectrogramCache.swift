import Foundation
import Synchronization

/// Spectrograms computed once and kept on disk as float16, memory-mapped: the seed's
/// "pre-compute" step. `perSong` mashups are built for every song of the builder's pool (that
/// song as the anchor, so genres keep the pool's balance), example index k for entry k.
///
/// The file is `folder/spectrograms-KEY.f16`, KEY a hash of the data set's files (paths, sizes,
/// modification times), the pool, the recipe, the input options, the augmentations' settings,
/// `perSong` and the seed: a rerun finds and maps it, any change builds a new one. Layout:
///
///     "MMSPEC01"  count bins frames (Int64 each)  labels (Int32 x count), padded to 64 bytes
///     values      Float16 [count, bins, frames]
///
/// Written to a temporary name and renamed, so a cache file is always complete.
public struct SpectrogramCache: Sendable {
    public let path: String
    public let count: Int
    public let bins: Int
    public let frames: Int
    /// 0-based genre of each entry.
    public let labels: [Int]
    /// The anchor song of each entry.
    public let anchors: [Int]
    private let file: MappedFile
    private let dataOffset: Int

    static let magic = Array("MMSPEC01".utf8)
    /// Part of every cache key: raise it when a change to the mashup or spectrogram code
    /// changes what a cache holds (2: the lane-parallel mel step), so old caches rebuild.
    static let pipelineVersion = 2

    /// Maps the cache for this recipe, building it first when it is missing. `progress(done,
    /// total)` is called on the calling thread while building.
    ///
    /// With `share` (an `mpirun` job's), every process computes its part of the spectrograms and
    /// the parts are exchanged, so each holds the whole cache, the same bytes one process would
    /// write; each then renames its copy into place (the same file: on a folder the machines
    /// share, the last rename wins; on folders of their own, each machine gets its copy). Every
    /// process of the job must call this with the same arguments.
    public static func prepare(
        folder: String, examples: FreshExamples, perSong: Int = 5, share: WorkShare = .alone,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> SpectrogramCache {
        guard (1...1000).contains(perSong) else {
            throw DataError("mashups_per_song", "expected 1 to 1000 mashups per song, got \(perSong)")
        }
        let builder = examples.builder
        let anchors = builder.pool.flatMap { [Int](repeating: $0, count: perSong) }
        let key = CacheKey.hash(
            [
                builder.bank.dataSet.fingerprint, "\(builder.pool)", CacheKey.canonical(builder.options),
                CacheKey.canonical(builder.bank.options), CacheKey.canonical(examples.input.options),
                examples.augmentation.map { CacheKey.canonical($0) } ?? "-", "\(perSong)", "\(builder.seed)",
                "pipeline \(pipelineVersion)",
            ].joined(separator: "\n"))
        let path = "\(folder)/spectrograms-\(key).f16"
        // Every process takes the same branch: built already only when all of them find it.
        if try share.all(FileManager.default.fileExists(atPath: path)) {
            return try SpectrogramCache(path: path, anchors: anchors)
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError(folder, "cannot create the cache folder: \(error.localizedDescription)")
        }
        // One process clears what crashed runs left (another machine's live temporaries would
        // look abandoned here), and the others start their own after it has.
        if share.part == 0 { removeAbandonedTemporaries(in: folder, prefix: "spectrograms-") }
        _ = try share.all(true)
        try build(path: path, examples: examples, anchors: anchors, share: share, progress: progress)
        return try SpectrogramCache(path: path, anchors: anchors)
    }

    static func headerSize(_ count: Int) -> Int { (32 + 4 * count + 63) / 64 * 64 }

    private static func build(
        path: String, examples: FreshExamples, anchors: [Int], share: WorkShare, progress: (Int, Int) -> Void
    ) throws {
        let (bins, frames, count) = (examples.input.bins, examples.input.frames, anchors.count)
        let item = bins * frames
        let header = headerSize(count)
        try writeAtomically(to: path, durable: false) { temp in
            let out = try WritableMapping(creating: temp, size: header + 2 * item * count)
            var head = magic.map { UInt8($0) }
            for v in [count, bins, frames] { withUnsafeBytes(of: Int64(v).littleEndian) { head += $0 } }
            out.base.copyMemory(from: head, byteCount: head.count)
            let labels = out.base.advanced(by: 32).bindMemory(to: Int32.self, capacity: count)
            let values = out.base.advanced(by: header).bindMemory(to: Float16.self, capacity: item * count)
            nonisolated(unsafe) let (labelSlots, valueSlots) = (labels, values)  // each entry written by one worker
            let failure = Mutex<(any Error)?>(nil)
            let chunk = max(8, 4 * Engine.threads)
            let mine = share.range(of: count)
            var done = mine.lowerBound
            progress(0, mine.count)
            while done < mine.upperBound {
                let end = min(mine.upperBound, done + chunk)
                let start = done
                let workers = min(Engine.threads, end - start)
                Engine.parallelFor(workers) { w in
                    // Worker w takes its own block of the chunk, so `worker` is never shared.
                    for i in (start + (end - start) * w / workers)..<(start + (end - start) * (w + 1) / workers) {
                        do {
                            let (spectrogram, label) = try examples.spectrogram(i, anchor: anchors[i], worker: w)
                            labelSlots[i] = Int32(label)
                            let dst = valueSlots + i * item
                            spectrogram.values.withUnsafeBufferPointer { v in
                                for j in 0..<item { dst[j] = Float16(v[j]) }
                            }
                        } catch {
                            failure.withLock { if $0 == nil { $0 = error } }
                        }
                    }
                }
                if let error = failure.withLock({ $0 }) { throw error }
                done = end
                progress(done - mine.lowerBound, mine.count)
            }
            try share.gather(UnsafeMutableRawPointer(labels), itemBytes: 4, count: count)
            try share.gather(UnsafeMutableRawPointer(values), itemBytes: 2 * item, count: count)
            try out.finish(path)
        }
    }

    init(path: String, anchors: [Int]) throws {
        let mapped = try MappedFile(path)
        let base = mapped.base
        guard mapped.size >= 32, Array(UnsafeRawBufferPointer(start: base, count: 8)) == Self.magic else {
            throw DataError(path, "not a mashup spectrogram cache (bad magic); delete it to rebuild")
        }
        let field = { (k: Int) in
            Int(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 + 8 * k, as: Int64.self)))
        }
        let (count, bins, frames) = (field(0), field(1), field(2))
        // Sizes from the file: the products are checked before they are trusted.
        guard count == anchors.count, bins > 0, frames > 0,
            let values = checkedProduct([count, bins, frames], limit: (mapped.size - Self.headerSize(count)) / 2),
            mapped.size == Self.headerSize(count) + 2 * values
        else {
            throw DataError(
                path,
                "truncated or inconsistent cache (\(mapped.size) bytes for \(count) x \(bins) x \(frames)); delete it to rebuild"
            )
        }
        (self.count, self.bins, self.frames, file, dataOffset) = (count, bins, frames, mapped, Self.headerSize(count))
        labels = (0..<count).map {
            Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 32 + 4 * $0, as: Int32.self)))
        }
        self.anchors = anchors
        self.path = path
    }

    /// Entry i's values as Float into `out` [bins * frames].
    public func copy(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        let item = bins * frames
        let src = file.base.advanced(by: dataOffset + 2 * item * i).assumingMemoryBound(to: Float16.self)
        for j in 0..<item { out[j] = Float(src[j]) }
    }

    public func spectrogram(_ i: Int) -> Spectrogram {
        var values = [Float](repeating: 0, count: bins * frames)
        values.withUnsafeMutableBufferPointer { copy(i, into: $0.baseAddress!) }
        return Spectrogram(values: values, bins: bins, frames: frames)
    }
}
