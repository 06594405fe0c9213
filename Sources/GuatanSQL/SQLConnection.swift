import Foundation
import GuatanCore
import GuatanStoreInterface

/// A value as both databases hand it over: SQLite's storage classes, which every PostgreSQL
/// column type this schema uses maps onto (booleans as 0 and 1, numerics as doubles).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// The value as the CSV exports write it.
    public var exportText: String {
        switch self {
        case .null: ""
        case .integer(let n): String(n)
        case .real(let d): String(d)
        case .text(let s): s
        }
    }
}

/// The column names of one result, shared by its rows.
public final class SQLColumns: Sendable {
    public let names: [String]
    private let index: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        // The first of two equal names wins, as in SQLite's and GRDB's rows.
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    func position(of name: String) -> Int? { index[name] }
}

/// One row of a result. Columns are read by name or position into the type the caller
/// expects; a NULL read as a non-optional type, or a missing column, is a defect of the SQL
/// (the schema says NOT NULL), so it stops as GRDB's rows do.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript<T: SQLDecodable>(_ name: String) -> T {
        guard let position = columns.position(of: name) else { preconditionFailure("no column \(name) in \(columns.names)") }
        return T.decode(values[position], column: name)
    }

    public subscript<T: SQLDecodable>(_ position: Int) -> T {
        T.decode(values[position], column: columns.names[position])
    }
}

/// A Swift type a column can be read as.
public protocol SQLDecodable {
    static func decode(_ value: SQLValue, column: String) -> Self
}

extension String: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> String {
        switch value {
        case .text(let s): s
        case .integer(let n): String(n)
        case .real(let d): String(d)
        case .null: preconditionFailure("\(column) is NULL")
        }
    }
}

extension Int64: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> Int64 {
        switch value {
        case .integer(let n): n
        case .real(let d): Int64(d)
        case .text(let s): Int64(s) ?? 0
        case .null: preconditionFailure("\(column) is NULL")
        }
    }
}

extension Int: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> Int { Int(Int64.decode(value, column: column)) }
}

extension Double: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> Double {
        switch value {
        case .real(let d): d
        case .integer(let n): Double(n)
        case .text(let s): Double(s) ?? 0
        case .null: preconditionFailure("\(column) is NULL")
        }
    }
}

extension Bool: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> Bool { Int64.decode(value, column: column) != 0 }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    public static func decode(_ value: SQLValue, column: String) -> Wrapped? {
        value == .null ? nil : Wrapped.decode(value, column: column)
    }
}

/// A Swift value a statement can be given for a `?`.
public protocol SQLArgument {
    var sqlValue: SQLValue { get }
}

extension String: SQLArgument { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLArgument { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLArgument { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLArgument { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLArgument { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }

/// The values of a statement's `?`s, in order; written as an array literal of optionals.
public struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [SQLValue]

    public init(arrayLiteral elements: (any SQLArgument)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    public init(_ elements: [any SQLArgument]) {
        values = elements.map(\.sqlValue)
    }

    public init(values: [SQLValue]) {
        self.values = values
    }

    public static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments {
        var sum = lhs
        sum.values += rhs.values
        return sum
    }

    public static func += (lhs: inout SQLArguments, rhs: SQLArguments) {
        lhs.values += rhs.values
    }
}

/// Where the two databases' SQL differs; everything else is written once, in the SQL both
/// speak (SQLite ≥ 3.39 and PostgreSQL ≥ 15: `ON CONFLICT`, `RETURNING`, `IS DISTINCT FROM`).
public struct SQLDialect: Sendable {
    /// A condition: `column` contains the text of the next `?`, ignoring case, with no wildcards.
    public var containsText: @Sendable (_ column: String) -> String
    /// Minutes from instant `earlier` to instant `later`, both RFC 3339 text expressions.
    public var minutesBetween: @Sendable (_ earlier: String, _ later: String) -> String
    /// The slots inside a box, by whatever index the database has for positions: the `FROM`
    /// and `WHERE` of a query on `slot`, its site `s` and district `d`, for the `?`s max lat,
    /// min lat, max lng, min lng.
    public var slotsInBox: String
    /// Whether a write transaction must lock the rows it decides on (`FOR UPDATE`): PostgreSQL
    /// runs writers side by side, SQLite one at a time (its single writer already holds them).
    public var locksRows: Bool
    /// Whether a read of the whole registry goes quicker in parts side by side: SQLite runs
    /// one query on one core; PostgreSQL joins one query with workers of its own, where parts
    /// would each hash every permit again.
    public var readsRegistryInParts: Bool

    public init(
        containsText: @escaping @Sendable (String) -> String, minutesBetween: @escaping @Sendable (String, String) -> String, slotsInBox: String,
        locksRows: Bool, readsRegistryInParts: Bool
    ) {
        self.containsText = containsText
        self.minutesBetween = minutesBetween
        self.slotsInBox = slotsInBox
        self.locksRows = locksRows
        self.readsRegistryInParts = readsRegistryInParts
    }

    /// ` FOR UPDATE OF table` where rows must be locked, nothing where the writer is alone.
    public func lock(_ table: String) -> String { locksRows ? " FOR UPDATE OF \(table)" : "" }
}

/// One database connection inside a transaction or a read, as the shared SQL uses it. The
/// SQL is written with `?` placeholders; a backend rewrites them as it needs.
public protocol SQLConnection {
    var dialect: SQLDialect { get }
    /// Every row of a query. `cached`: the statement's text is one of a fixed few, worth
    /// keeping prepared (never for text built from a filter's many shapes).
    func fetchAll(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> [SQLRow]
    /// Runs a write; how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> Int
    /// Each row of a query in turn, none kept: for reads of a whole national registry, whose
    /// rows would otherwise all be held at once.
    func forEachRow(_ sql: String, _ arguments: SQLArguments, cached: Bool, _ body: (SQLRow) throws -> Void) throws
}

extension SQLConnection {
    public func forEachRow(_ sql: String, _ arguments: SQLArguments, cached: Bool, _ body: (SQLRow) throws -> Void) throws {
        for row in try fetchAll(sql, arguments, cached: cached) { try body(row) }
    }
}

extension SQLConnection {
    public func rows(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = true) throws -> [SQLRow] {
        try fetchAll(sql, arguments, cached: cached)
    }

    public func row(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = true) throws -> SQLRow? {
        try fetchAll(sql, arguments, cached: cached).first
    }

    /// The first column of the first row; nil when there is no row or it is NULL.
    public func value<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = true) throws -> T? {
        guard let row = try row(sql, arguments, cached: cached) else { return nil }
        let value: T? = row[0]
        return value
    }

    /// The first column of every row.
    public func values<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = true) throws -> [T] {
        try fetchAll(sql, arguments, cached: cached).map { $0[0] }
    }

    @discardableResult
    public func run(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = true) throws -> Int {
        try execute(sql, arguments, cached: cached)
    }
}

/// A database the shared SQL stores run on: reads and writes on one of its connections, each
/// a transaction of its own, and the feed its committed changes are announced on.
public protocol SQLStore: Sendable {
    var changes: ChangeFeed { get }
    /// A consistent read: every query of `body` sees the same committed state.
    func sqlRead<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// One write transaction.
    func sqlWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// Tells the database's other users (other instances) what a write changed, inside its
    /// transaction, so they hear of it when it commits and never of a write rolled back.
    func announce(_ changes: Set<StoreChange>, in db: any SQLConnection) throws
}

extension SQLStore {
    /// One process alone uses an embedded database: there is nobody else to tell.
    public func announce(_ changes: Set<StoreChange>, in db: any SQLConnection) throws {}
}

/// Changes as the text of a notification between instances: `FROM CHANGE CHANGE …`, each change
/// a word (`r`, `l`, `*`, `s:SLOT`, `m:SLOT`, `a:ACCOUNT`, `t:TOKEN_HASH`). Too many to name, and the
/// notice says `*`: everything.
public enum ChangeNotice {
    /// PostgreSQL's limit is 8,000 bytes a payload; a notice stays well under it.
    static let maxLength = 4000

    public static func encode(_ changes: Set<StoreChange>, from sender: String) -> String {
        let words = changes.map { change in
            switch change {
            case .registry: "r"
            case .reportLists: "l"
            case .everything: "*"
            case .stall(let slotId): "s:" + slotId
            case .stallStatus(let slotId): "m:" + slotId
            case .sessions(let accountId): "a:\(accountId)"
            case .session(let tokenHash): "t:" + tokenHash
            }
        }.sorted()
        let text = ([sender] + words).joined(separator: " ")
        return text.utf8.count <= maxLength ? text : sender + " *"
    }

    /// The sender and its changes; words this version does not know mean everything.
    public static func decode(_ text: String) -> (sender: String, changes: Set<StoreChange>) {
        let words = text.split(separator: " ").map(String.init)
        guard let sender = words.first else { return ("", [.everything]) }
        var changes: Set<StoreChange> = []
        for word in words.dropFirst() {
            switch word {
            case "r": changes.insert(.registry)
            case "l": changes.insert(.reportLists)
            case _ where word.hasPrefix("s:"): changes.insert(.stall(slotId: String(word.dropFirst(2))))
            case _ where word.hasPrefix("m:"): changes.insert(.stallStatus(slotId: String(word.dropFirst(2))))
            case _ where word.hasPrefix("t:"): changes.insert(.session(tokenHash: String(word.dropFirst(2))))
            case _ where word.hasPrefix("a:") && Int64(word.dropFirst(2)) != nil: changes.insert(.sessions(accountId: Int64(word.dropFirst(2))!))
            default: changes.insert(.everything)
            }
        }
        return (sender, changes)
    }
}

enum SQLList {
    /// A set of states as an SQL list of quoted literals (the states are the enum's own raw values).
    static func literals<S: RawRepresentable>(_ states: Set<S>) -> String where S.RawValue == String {
        states.isEmpty ? "(NULL)" : "(" + states.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ") + ")"
    }

    /// `(?, ?, …)` for `count` values; `(NULL)` for none, which matches nothing.
    static func placeholders(_ count: Int) -> String {
        count == 0 ? "(NULL)" : "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }
}

/// A stored value this version does not know (a role, a state): a damaged or foreign row.
/// It is an error (500, logged), never guessed as some other value.
public struct UnreadableRow: Error, CustomStringConvertible {
    public var column: String
    public var value: String

    public var description: String { "the stored \(column) '\(value)' is not one this version knows" }
}

extension SQLRow {
    /// The enum case a column holds, or `UnreadableRow`.
    func decoded<T: RawRepresentable>(_ column: String) throws -> T where T.RawValue == String {
        let raw: String = self[column]
        guard let value = T(rawValue: raw) else { throw UnreadableRow(column: column, value: raw) }
        return value
    }
}
