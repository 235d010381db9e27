import Native

extension LuaOptions {
    /// Runs `body`; a native error about one of `fields` (DSPError's option, AudioError's or
    /// DataError's subject) is raised as an error of that field of this options argument:
    /// `bad argument #2 to 'melspec' (field 'n_fft': expected 2 ... 1048576 points, got 0)`.
    /// Fields left out of the table are named too, since their defaults were what failed. A
    /// DataError about a name in `renamed` is one of the Lua field it maps to
    /// (`mashups_per_song` is `per_song`).
    func naming<T>(_ fields: Set<String>, renamed: [String: String] = [:], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DataError where renamed[error.subject] != nil {
            throw invalid(renamed[error.subject]!, error.reason)
        } catch let error as DSPError where fields.contains(error.option) {
            throw invalid(error.option, error.reason)
        } catch let error as AudioError where fields.contains(error.subject) {
            throw invalid(error.subject, error.reason)
        } catch let error as DataError where fields.contains(error.subject) {
            throw invalid(error.subject, error.reason)
        }
    }
}
