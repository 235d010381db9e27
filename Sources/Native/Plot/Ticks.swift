import Foundation

/// Tick marks of a linear axis at multiples of 1, 2 or 5 times a power of ten, the steps a
/// reader divides by in their head.
enum Ticks {
    /// The smallest 1-2-5 step that puts at most `maxCount` intervals across `span`.
    static func step(span: Double, maxCount: Int) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(max(1, maxCount))
        let magnitude = pow(10, floor(log10(raw)))
        let normalised = raw / magnitude
        let factor: Double = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10
        return factor * magnitude
    }

    /// The next coarser 1-2-5 step: 1 → 2 → 5 → 10.
    static func coarser(_ step: Double) -> Double {
        let magnitude = pow(10, floor(log10(step) + 1e-9))
        let normalised = (step / magnitude).rounded()
        return (normalised < 2 ? 2 : normalised < 5 ? 5 : 10) * magnitude
    }

    /// Multiples of `step` inside `range` (with a little slack, so an end that is itself a
    /// multiple is not lost to rounding).
    static func positions(in range: ClosedRange<Double>, step: Double) -> [Double] {
        let slack = step * 1e-9
        let first = ceil((range.lowerBound - slack) / step)
        let last = floor((range.upperBound + slack) / step)
        guard first <= last, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// Labels for ticks at multiples of `step`, in one style for the whole axis: fixed decimals,
    /// as many as the step needs ("0.25", "1500"), or, when the numbers are far from 1,
    /// exponent form with the fewest mantissa digits that state each value ("2e-4", "1.5e-3").
    static func labels(_ values: [Double], step: Double) -> [String] {
        let largest = values.map(abs).max() ?? 0
        let exponentForm = largest >= 1e6 || (largest > 0 && largest < 1e-2)
        // The fewest decimals that write the step exactly: 0.2 → 1, 0.25 → 2, 500 → 0.
        let decimals =
            (0...10).first { d in
                let scaled = step * pow(10, Double(d))
                return abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled)
            } ?? 10
        return values.map { value in
            if abs(value) < step * 1e-6 { return "0" }
            guard exponentForm else { return String(format: "%.\(decimals)f", value) }
            let digits =
                (0...6).first { abs((Double(String(format: "%.\($0)e", value)) ?? 0) - value) < step * 1e-6 } ?? 6
            return formatExponent(value, digits: digits)
        }
    }

    /// "2e-4", "1.5e+06" written as "1.5e6": C's %e without the padding of the exponent.
    private static func formatExponent(_ value: Double, digits: Int) -> String {
        let text = String(format: "%.\(digits)e", value)
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<e]
        let exponent = Int(text[text.index(after: e)...]) ?? 0
        return "\(mantissa)e\(exponent)"
    }
}

/// `value` with `digits` decimals ("0.873").
func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
