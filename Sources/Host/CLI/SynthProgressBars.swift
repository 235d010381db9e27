import Foundation
import Native

/// The synthetic generator's progress as one bar per stage, each with its own count, rate and
/// ETA, finished when its stage completes:
///
///     noise    ██████████████████████████████  100%  50/50  41.7 clips/s  in 0:01
///     songs    ████████████░░░░░░░░░░░░░░░░░░   40%  40/100  3.10 songs/s  ETA 0:19
///
/// Songs and mashups are made genre by genre, so their bars take turns on the last line. The
/// generator reports its overall count after each chunk of work; each report's increase
/// belongs to the stage it names, and that stage's work began at the report before (its bar's
/// clock starts there). Without a terminal each stage writes its summary line; quiet writes
/// nothing.
final class SynthProgressBars {
    private let style: ProgressStyle
    private let stages: [String: (total: Int, unit: String)]
    private var bars: [String: ProgressBar] = [:]
    private var stageDone: [String: Int] = [:]
    private var overallDone = 0
    private var lastReport = ProgressBar.monotonicSeconds()

    init(_ config: SynthConfig, style: ProgressStyle) {
        self.style = style
        stages = [
            "noise": (config.noiseClips, "clips"),
            "songs": (Genre.allCases.count * config.songsMade, "songs"),
            "mashups": (config.mashups, "mashups"),
        ]
    }

    func show(_ progress: SynthProgress) {
        let added = progress.done - overallDone
        overallDone = progress.done
        let began = lastReport
        lastReport = ProgressBar.monotonicSeconds()
        guard added > 0 else { return }
        let stage = progress.stage
        let (total, unit) = stages[stage] ?? (progress.total, "items")
        let bar = bars[stage] ?? newBar(stage, total: total, unit: unit, began: began)
        bars[stage] = bar
        let done = stageDone[stage, default: 0] + added
        stageDone[stage] = done
        bar.update(done)
        if done >= total { bar.finish() }
    }

    /// A bar whose clock reads `began` once, as it starts, and the real time after.
    private func newBar(_ stage: String, total: Int, unit: String, began: Double) -> ProgressBar {
        var started = false
        let label = stage.padding(toLength: 7, withPad: " ", startingAt: 0)
        return ProgressBar(total: total, label: label, unit: unit, style: style) {
            defer { started = true }
            return started ? ProgressBar.monotonicSeconds() : began
        }
    }

    /// Ends the line of a bar left unfinished (the generator failed), so that the error that
    /// follows starts on a line of its own.
    func close() {
        guard case .bar = style, bars.contains(where: { stageDone[$0.key, default: 0] < $0.value.total }) else {
            return
        }
        TextSink.standardOutput.write("\n")
    }
}
