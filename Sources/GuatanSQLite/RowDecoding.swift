import GRDB
import GuatanCore

/// A stored value this version does not know (a role, a state): a damaged or foreign row.
/// It is an error (500, logged), never guessed as some other value.
struct UnreadableRow: Error, CustomStringConvertible {
    var column: String
    var value: String

    var description: String { "the stored \(column) '\(value)' is not one this version knows" }
}

extension GuatanDatabase {
    /// The enum case a column holds, or `UnreadableRow`.
    static func decoded<T: RawRepresentable>(_ row: Row, _ column: String) throws -> T where T.RawValue == String {
        let raw: String = row[column]
        guard let value = T(rawValue: raw) else { throw UnreadableRow(column: column, value: raw) }
        return value
    }
}
