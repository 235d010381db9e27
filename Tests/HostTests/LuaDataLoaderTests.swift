import Foundation
import XCTest

@testable import Host

/// mm.data.cache, mm.data.loader and mm.data.test_set from Lua, with augmentations written in
/// Lua running in the loader's worker threads.
final class LuaDataLoaderTests: XCTestCase {
    func run(_ body: String, state: LuaState = LuaState()) throws -> [String?] {
        try state.evaluate(try LuaDataFixture.prelude() + body)
    }

    /// Lua that sums every batch of epoch `e` of loader `l` into one signature string.
    static let signature = """
        local function signature(l, e)
          local parts = {}
          for x, y in l:epoch(e) do
            parts[#parts + 1] = string.format('%s:%.6f:%s', table.concat(x:shape(), 'x'), x:sum(), table.concat(y, ','))
          end
          return table.concat(parts, ' | ')
        end

        """

    func testCacheIsBuiltOnceAndGivesEntriesWithLabels() throws {
        let folder = try temporaryFolder(self).path
        let r = try run(
            """
            local b = mm.data.builder(ds, split.train, opts{seed = 5})
            local c = mm.data.cache{builder = b, per_song = 2, folder = '\(folder)', progress = false}
            local x, label, genre = c:get(3)
            local again = mm.data.cache{builder = b, per_song = 2, folder = '\(folder)', progress = false}
            local other = mm.data.cache{dataset = ds, songs = split.train, seed = 5, seconds = 2, crop_seconds = {1, 2},
                                        noise_clips = 0, per_song = 2, folder = '\(folder)', progress = false}
            local labels_ok = true
            for _, l in ipairs(c:labels()) do if l < 1 or l > 10 then labels_ok = false end end
            return #c, table.concat(x:shape(), 'x'), ds:genres()[label] == genre, labels_ok, again.path == c.path,
                   other.path ~= c.path, x:max() <= 1 and x:min() >= 0
            """)
        XCTAssertEqual(r, ["20", "1x128x87", "true", "true", "true", "true", "true"])
    }

    func testCacheKeyFollowsTheLuaAugmentationsCodeAndSettings() throws {
        let folder = try temporaryFolder(self).path
        let lib = try temporaryFolder(self)
        let module = lib.appendingPathComponent("tilt.lua")
        try "return function(buf, rng) return buf:gain(-1) end".write(to: module, atomically: true, encoding: .utf8)
        let source = """
            package.path = '\(lib.path)/?.lua;' .. package.path
            local b = mm.data.builder(ds, split.val, opts{seed = 5})
            local function cache(augment)
              return mm.data.cache{builder = b, per_song = 1, folder = '\(folder)', progress = false, augment = augment}.path
            end
            local function with_gain(db)
              local gain = mm.augment.gain{db = db}
              return mm.augment.pipeline{ function(buf, rng) return gain(buf, rng) end }
            end
            return cache(with_gain(1)), cache(with_gain(1)), cache(with_gain(2)), cache(mm.augment.pipeline{'tilt'})
            """
        let first = try run(source)
        try "return function(buf, rng) return buf:gain(-2) end".write(to: module, atomically: true, encoding: .utf8)
        let edited = try run(source)
        XCTAssertEqual(first[0], first[1])
        XCTAssertNotEqual(first[0], first[2])
        XCTAssertEqual(first[0], edited[0])
        XCTAssertNotEqual(first[3], edited[3])
    }

    func testCacheBuildShowsProgressUnlessQuiet() throws {
        let scratch = try temporaryFolder(self)
        let script = scratch.appendingPathComponent("cache.lua")
        try
            (try LuaDataFixture.prelude()
                + """
                local b = mm.data.builder(ds, split.val, opts{seed = 8})
                local c = mm.data.cache{builder = b, per_song = 1, folder = '\(scratch.path)/cache'}
                print('entries', #c)
                """).write(to: script, atomically: true, encoding: .utf8)
        let shown = try runMashup(["run", script.path])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.hasPrefix("spectrogram cache  10 ex in "), shown.stdout)
        XCTAssertTrue(shown.stdout.hasSuffix("entries\t10\n"), shown.stdout)
        try FileManager.default.removeItem(at: scratch.appendingPathComponent("cache"))
        let quiet = try runMashup(["--quiet", "run", script.path])
        XCTAssertEqual(quiet.stdout, "entries\t10\n")
    }

    func testLoaderYieldsBatchesOfTheRightShapeAndLabels() throws {
        let folder = try temporaryFolder(self).path
        let r = try run(
            Self.signature
                + """
                local b = mm.data.builder(ds, split.train, opts{seed = 5})
                local c = mm.data.cache{builder = b, per_song = 2, folder = '\(folder)', progress = false}
                local l = mm.data.loader{source = c, batch = 6, workers = 2, seed = 1}
                local sizes, ok, batches = {}, true, 0
                for x, y, labels in l:epoch(1) do
                  batches = batches + 1
                  sizes[#sizes + 1] = x:size(1)
                  if x:size(2) ~= 1 or x:size(3) ~= 128 or x:size(4) ~= 87 or #y ~= x:size(1) then ok = false end
                  for i, v in ipairs(y) do if v < 1 or v > 10 or labels[i] ~= v then ok = false end end
                end
                local fresh = mm.data.loader{source = b, batch = 4, workers = 2, examples_per_epoch = 8, seed = 1}
                local n = 0
                for x in fresh:epoch(1) do n = n + x:size(1) end
                return #l, table.concat(sizes, ','), ok, batches, #fresh, n, l.examples
                """)
        XCTAssertEqual(r, ["4", "6,6,6,2", "true", "4", "2", "8", "20"])
    }

    func testLoaderIsDeterministicForASeedWithOneOrTwoWorkers() throws {
        let folder = try temporaryFolder(self).path
        let r = try run(
            Self.signature
                + """
                local b = mm.data.builder(ds, split.train, opts{seed = 5})
                local c = mm.data.cache{builder = b, per_song = 1, folder = '\(folder)', progress = false}
                local spec = mm.augment.pipeline{ {mm.augment.spec_mask{axis = 'time', width = {2, 8}}, p = 0.5} }
                local function loader(workers, seed)
                  return mm.data.loader{source = c, batch = 4, workers = workers, seed = seed, fresh_fraction = 0.5,
                                        spec_augment = spec}
                end
                local one, two = signature(loader(1, 3), 1), signature(loader(2, 3), 1)
                return one == two, one ~= signature(loader(2, 3), 2), one ~= signature(loader(2, 4), 1)
                """)
        XCTAssertEqual(r, ["true", "true", "true"])
    }

    /// The hook: a Lua module written now (no rebuild of mashup) changes what the loader's two
    /// worker threads produce, the same way on 1 or 2 workers.
    func testANewLuaAugmentationChangesTheLoaderOutputWithoutRecompiling() throws {
        let lib = try temporaryFolder(self)
        try FileManager.default.createDirectory(
            at: lib.appendingPathComponent("custom"), withIntermediateDirectories: true)
        try """
        -- Muffles the mix and adds a quiet brown-noise floor drawn from the example's generator.
        local mm = require "mashup"
        local muffle = mm.augment.lowpass{cutoff = {500, 1500}}
        local floor = mm.augment.noise{color = "brown", snr = {20, 30}}
        return function(buf, rng)
          return floor(muffle(buf, rng), rng):gain(rng:uniform(-3, 0))
        end
        """.write(to: lib.appendingPathComponent("custom/muffle.lua"), atomically: true, encoding: .utf8)
        let r = try run(
            Self.signature
                + """
                package.path = '\(lib.path)/?.lua;' .. package.path
                local b = mm.data.builder(ds, split.train, opts{seed = 5})
                local base = mm.augment.pipeline{ {mm.augment.gain{db = {-3, 3}}, p = 0.5} }
                local custom = mm.augment.pipeline{ {mm.augment.gain{db = {-3, 3}}, p = 0.5}, {require 'custom.muffle', p = 1} }
                local function loader(augment, workers)
                  return mm.data.loader{source = b, batch = 3, workers = workers, examples_per_epoch = 6, seed = 2, augment = augment}
                end
                local without = signature(loader(base, 2), 1)
                local with = signature(loader(custom, 2), 1)
                return without ~= with, with == signature(loader(custom, 1), 1), tostring(custom)
                """)
        XCTAssertEqual(
            r, ["true", "true", "augmentation: pipeline (audio): gain (p 0.5), lua custom.muffle"])
    }

    func testAFailingLuaAugmentationInAWorkerSurfacesAtTheLoop() throws {
        let message = try XCTUnwrap(
            LuaState().failure(
                try LuaDataFixture.prelude()
                    + """
                    local b = mm.data.builder(ds, split.train, opts{seed = 5})
                    local bad = mm.augment.pipeline{ function(buf) return buf:slice(10, 20) end }
                    for x in mm.data.loader{source = b, batch = 2, workers = 2, examples_per_epoch = 2, augment = bad}:epoch(1) do end
                    """))
        XCTAssertTrue(message.contains("test:11: augmentation function at test:10: test:10: "), message)
        XCTAssertTrue(message.contains("holds no frame"), message)
    }

    func testTestSetGivesIdsAndViewTensors() throws {
        let r = try run(
            """
            local t = mm.data.test_set(ds, {views = 3, shift = 1, seconds = 2})
            local ids, views = t:batch(1, 4)
            local shapes = {}
            for v = 1, #views do shapes[v] = table.concat(views[v]:shape(), 'x') end
            local seen = 0
            for batch_ids, batch_views in t:batches(4) do seen = seen + #batch_ids; assert(#batch_views == 3) end
            return #t, t.views, #ids, ids[1], table.concat(shapes, ' '), views[1]:sum() ~= views[2]:sum(), seen, t:ids()[6]
            """)
        XCTAssertEqual(r, ["6", "3", "4", "1", "4x1x128x87 4x1x128x87 4x1x128x87", "true", "6", "6"])
    }

    func testLoaderAndCacheOptionErrorsNameTheField() throws {
        let state = LuaState()
        let prelude = try LuaDataFixture.prelude() + "local b = mm.data.builder(ds, split.train, opts{seed = 5})\n"
        let cases: [(String, String)] = [
            (
                "mm.data.loader{source = b, batch = 0}",
                "bad argument #1 to 'loader' (field 'batch': expected at least 1, got 0)"
            ),
            (
                "mm.data.loader{source = b, workers = 0}",
                "bad argument #1 to 'loader' (field 'workers': expected 1 to 64, got 0)"
            ),
            (
                "mm.data.loader{source = 3}",
                "bad argument #1 to 'loader' (field 'source': a cache (mm.data.cache) or a builder (mm.data.builder) expected, got number)"
            ),
            (
                "mm.data.loader{source = b, fresh_fraction = 2}",
                "bad argument #1 to 'loader' (field 'fresh_fraction': expected a range within 0.0...1.0"
            ),
            (
                "mm.data.loader{source = b, augment = mm.augment.spec_mask{}}",
                "bad argument #1 to 'loader' (field 'augment': an audio augmentation expected, got a spectrogram one)"
            ),
            (
                "mm.data.cache{builder = b}",
                "bad argument #1 to 'cache' (field 'folder': the cache folder expected, got nil)"
            ),
            (
                "mm.data.cache{builder = b, folder = '/tmp/x', per_song = 0}",
                "bad argument #1 to 'cache' (field 'per_song': expected 1 to 1000 mashups per song, got 0)"
            ),
            (
                "mm.data.test_set(ds, {views = 0})",
                "bad argument #2 to 'test_set' (field 'views': expected 1 to 32 views, got 0)"
            ),
        ]
        for (call, expected) in cases {
            let message = state.failure(prelude + call) ?? "no error"
            XCTAssertTrue(message.hasPrefix("test:10: " + expected), "\(call):\n\(message)")
        }
    }
}
