import Foundation

/// How progress is shown.
public enum ProgressStyle: Sendable, Equatable {
    /// A bar redrawn in place with "\r", fitted to a terminal `columns` wide.
    case bar(columns: Int)
    /// One summary line when the work finishes (logs, pipes, CI).
    case lines
    /// Nothing (`--quiet`).
    case quiet

    /// `quiet` if asked; a bar when standard output is a terminal (as wide as the terminal,
    /// else $COLUMNS, else 80); otherwise lines.
    public static func detect(quiet: Bool) -> ProgressStyle {
        if quiet { return .quiet }
        guard isatty(STDOUT_FILENO) != 0 else { return .lines }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return .bar(columns: Int(size.ws_col))
        }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }), columns > 0 {
            return .bar(columns: columns)
        }
        return .bar(columns: 80)
    }
}

/// A named value shown after the bar: "loss 0.8421".
public struct ProgressField: Sendable, Equatable {
    public var name: String
    public var text: String

    public init(_ name: String, text: String) {
        self.name = name
        self.text = text
    }

    /// A number with `digits` decimals; NaN (nothing measured yet) shows as "-".
    public init(_ name: String, _ value: Double, digits: Int = 4) {
        self.init(name, text: value.isFinite ? String(format: "%.\(digits)f", value) : "-")
    }

    /// A number as a script's field shows it: 4 decimals, but a magnitude under 0.01 in
    /// scientific notation, so that a learning rate of 1e-4 stays readable.
    public init(_ name: String, readable value: Double) {
        if value != 0 && abs(value) < 0.01 {
            self.init(name, text: String(format: "%.2e", value))
        } else {
            self.init(name, value)
        }
    }

    /// The usual training measures first, in this order, then the rest by name.
    public static func inUsualOrder(_ fields: [ProgressField]) -> [ProgressField] {
        let usual = ["loss", "acc", "f1", "train_loss", "train_acc", "val_loss", "val_acc", "val_f1", "lr"]
        func rank(_ name: String) -> Int { usual.firstIndex(of: name) ?? usual.count }
        return fields.sorted { (rank($0.name), $0.name) < (rank($1.name), $1.name) }
    }
}

/// Progress of `total` items of work (examples of an epoch, files of a data set):
///
///     epoch 3/30  ████████████░░░░░░░░  60%  960/1600  41.2 ex/s  ETA 0:15  loss 0.8421  acc 0.7012
///
/// on a terminal, redrawn at most 10 times a second; with `.lines`, the one line
///
///     epoch 3/30  1600 ex in 38.8 s (41.2 ex/s)  loss 0.8421  acc 0.7012
///
/// when the work finishes; nothing with `.quiet`. Rates and the ETA come from `clock`
/// (seconds, monotonic), which tests replace.
public final class ProgressBar {
    /// Settable, for work whose size is known only once it runs (the synth generator reports
    /// its total with each step).
    public var total: Int {
        didSet { total = max(0, total) }
    }
    public let label: String
    public let unit: String
    public let style: ProgressStyle
    private let sink: TextSink
    private let clock: () -> Double
    private let started: Double
    private var lastDraw = -Double.infinity
    private var done = 0
    private var fields: [ProgressField] = []
    private var finished = false

    /// Redraws closer together than this only flicker.
    static let redrawInterval = 0.1

    public init(
        total: Int, label: String, unit: String = "ex", style: ProgressStyle = .detect(quiet: false),
        sink: TextSink = .standardOutput, clock: @escaping () -> Double = ProgressBar.monotonicSeconds
    ) {
        self.total = max(0, total)
        self.label = label
        self.unit = unit
        self.style = style
        self.sink = sink
        self.clock = clock
        started = clock()
    }

    /// Seconds on a clock that never jumps.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// `done` items finished so far (clamped to 0...total), with the fields to show.
    public func update(_ done: Int, _ fields: [ProgressField] = []) {
        guard !finished else { return }
        self.done = min(max(0, done), total)
        self.fields = fields
        guard case .bar(let columns) = style else { return }
        let now = clock()
        guard now - lastDraw >= Self.redrawInterval || self.done == total else { return }
        lastDraw = now
        sink.write("\r" + barLine(columns: columns, now: now) + "\u{1B}[K")
    }

    /// Ends the bar (drawn complete, then a newline) or writes the summary line. Fields given
    /// here replace the last ones (the epoch's final loss and accuracy).
    public func finish(_ fields: [ProgressField]? = nil) {
        guard !finished else { return }
        if let fields { self.fields = fields }
        let now = clock()
        switch style {
        case .bar(let columns):
            done = total
            sink.write("\r" + barLine(columns: columns, now: now) + "\u{1B}[K\n")
        case .lines:
            sink.write(summaryLine(now: now) + "\n")
        case .quiet:
            break
        }
        finished = true
    }

    // MARK: text

    private func rate(now: Double) -> Double {
        let elapsed = now - started
        return elapsed > 0 ? Double(done) / elapsed : 0
    }

    private var fieldText: String { fields.map { "  \($0.name) \($0.text)" }.joined() }

    func summaryLine(now: Double) -> String {
        let elapsed = max(0, now - started)
        return
            "\(label)  \(done) \(unit) in \(String(format: "%.1f", elapsed)) s (\(Self.rateText(rate(now: now))) \(unit)/s)"
            + fieldText
    }

    /// The bar takes what the label, counts and fields leave of the terminal's width (at most
    /// 30 cells); on a narrow terminal the fields go first, then the bar.
    func barLine(columns: Int, now: Double) -> String {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let percent = String(format: "%3d%%", Int((fraction * 100).rounded(.down)))
        let speed = rate(now: now)
        let eta =
            done >= total
            ? "in \(Self.duration(now - started))"
            : speed > 0 ? "ETA \(Self.duration(Double(total - done) / speed))" : "ETA -"
        let counts = "\(percent)  \(done)/\(total)  \(Self.rateText(speed)) \(unit)/s  \(eta)"
        let available = columns - 1  // the last column would wrap on some terminals
        var tail = fieldText
        var barWidth = min(30, available - label.count - counts.count - tail.count - 4)
        if barWidth < 10 {
            tail = ""
            barWidth = min(30, available - label.count - counts.count - 4)
        }
        var line = label + "  "
        if barWidth >= 5 {
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            line += String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + "  "
        }
        line += counts + tail
        return line.count > available ? String(line.prefix(max(0, available))) : line
    }

    /// "41.2", "1234", "0.52": three significant figures or whole numbers.
    static func rateText(_ rate: Double) -> String {
        rate >= 100
            ? String(Int(rate.rounded())) : rate >= 10 ? String(format: "%.1f", rate) : String(format: "%.2f", rate)
    }

    /// "0:07", "12:34", "1:02:03".
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
