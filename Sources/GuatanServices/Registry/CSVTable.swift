import CSV
import Foundation

/// A problem with one line of a CSV file, reported with its line number (the header is line 1).
public struct CSVRowProblem: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var field: String?
    public var message: String

    public init(line: Int, field: String?, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        "line \(line)" + (field.map { " (\($0))" } ?? "") + ": \(message)"
    }
}

/// The file was refused as a whole; nothing was written. Every bad line is listed.
public struct RegistryImportError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [CSVRowProblem]

    public var description: String {
        "\(file): \(problems.count) problem(s), nothing imported\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// A parsed CSV file: the header and every record keyed by column name, with its line.
struct CSVTable {
    struct Record {
        let line: Int
        let values: [String: String]

        subscript(_ column: String) -> String { values[column] ?? "" }
    }

    let header: [String]
    let records: [Record]
    /// Lines that could not be read as records; reported together with the rows' own problems.
    let problems: [CSVRowProblem]

    /// Reads UTF-8 CSV (a leading byte-order mark, as spreadsheets write, is allowed).
    /// Line numbers assume no field spans lines, which the registry's fields never do.
    static func parse(_ data: Data, file: String, required: [String]) throws(RegistryImportError) -> CSVTable {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw RegistryImportError(file: file, problems: [.init(line: 1, field: nil, message: "the file is not UTF-8 text; save it as CSV UTF-8")])
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true, trimFields: true)
        } catch {
            throw RegistryImportError(file: file, problems: [.init(line: 1, field: nil, message: "the file has no header row")])
        }
        let header = reader.headerRow ?? []
        let missing = required.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw RegistryImportError(
                file: file,
                problems: [
                    .init(
                        line: 1, field: nil,
                        message: "missing column(s): \(missing.joined(separator: ", ")); expected \(required.joined(separator: ","))")
                ])
        }
        var records: [Record] = []
        var problems: [CSVRowProblem] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            if row.allSatisfy({ $0.isEmpty }) { continue }
            if row.count != header.count {
                problems.append(.init(line: line, field: nil, message: "has \(row.count) fields, the header has \(header.count)"))
                continue
            }
            records.append(Record(line: line, values: Dictionary(zip(header, row), uniquingKeysWith: { first, _ in first })))
        }
        if let error = reader.error {
            problems.append(.init(line: line, field: nil, message: "cannot be read as CSV: \(error)"))
        }
        return CSVTable(header: header, records: records, problems: problems)
    }
}
