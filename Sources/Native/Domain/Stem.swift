/// The four stems of the competition's training songs, in the order its folders list them.
public enum Stem: String, CaseIterable, Sendable {
    case drums, vocals, bass, other
}
