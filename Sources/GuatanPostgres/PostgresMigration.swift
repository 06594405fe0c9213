import Foundation
import Logging
import PostgresNIO

/// One change to the PostgreSQL schema, in a file of its own named by its number. Applied in
/// the order of `PostgresStore.migrations`, each in its own transaction, and never edited once
/// shipped: a change is a new migration, appended to the list.
struct PostgresMigration: Sendable {
    let identifier: String
    let sql: String

    init(_ identifier: String, _ sql: String) {
        self.identifier = identifier
        self.sql = sql
    }

    /// The statements one by one: the extended protocol postgres-nio speaks runs one statement
    /// per query. Splits on semicolons outside quotes and comments.
    var statements: [String] {
        var statements: [String] = []
        var current = ""
        var inQuote = false
        var inComment = false
        for character in sql {
            if inComment {
                if character == "\n" { inComment = false }
                current.append(character)
                continue
            }
            if character == "'" { inQuote.toggle() }
            if !inQuote, character == "-", current.hasSuffix("-") { inComment = true }
            if !inQuote, character == ";" {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
                continue
            }
            current.append(character)
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }) {
            statements.append(rest)
        }
        return statements
    }
}
