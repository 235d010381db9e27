/// The ten genres of the Messy Mashup competition, in its (alphabetical) label order.
public enum Genre: Int, CaseIterable, Sendable, CustomStringConvertible {
    case blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock

    /// The lowercase name used for folders, files and labels: "blues", "hiphop", ...
    public var name: String { Genre.names[rawValue] }
    private static let names = [
        "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock",
    ]
    public var description: String { name }

    public init?(name: String) {
        guard let genre = Genre.allCases.first(where: { $0.name == name }) else { return nil }
        self = genre
    }
}
