import Foundation

/// The text `print(t)` shows, after Torch7: small vectors and matrices in full, larger tensors
/// by their first values, then the size line.
public enum TensorPreview {
    public static func text(_ t: Tensor) -> String {
        let size = "[tensor of size \(t.shape.isEmpty ? "scalar" : t.shape.map(String.init).joined(separator: "x"))]"
        let values = t.buffer
        let shown = t.count <= 144 ? values[...] : values.prefix(8)
        // Fixed point when every shown value reads well that way, else scientific, as Torch7.
        let fixed = shown.allSatisfy { $0 == 0 || (abs($0) >= 1e-3 && abs($0) < 1e5) }
        let format = fixed ? "%.4f" : "%.4e"
        let texts = shown.map { String(format: format, Double($0)) }
        let width = texts.map(\.count).max() ?? 0
        func row(_ range: Range<Int>) -> String {
            texts[range].map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: " ")
        }
        if t.rank == 1, t.count <= 12 {
            return row(0..<t.count) + "\n" + size
        }
        if t.rank == 2, t.shape[0] <= 12, t.shape[1] <= 12 {
            let cols = t.shape[1]
            return (0..<t.shape[0]).map { row(($0 * cols)..<(($0 + 1) * cols)) }.joined(separator: "\n") + "\n" + size
        }
        if t.count == 0 { return size }
        return row(0..<min(8, texts.count)) + (t.count > 8 ? " ..." : "") + "\n" + size
    }
}
