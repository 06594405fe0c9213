import ArgumentParser
import Foundation
import GuatanCore
import GuatanPostgres
import GuatanSQLite
import GuatanStoreInterface

/// Moves a whole SQLite data folder into an empty PostgreSQL database.
struct CopyToPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-to-postgres",
        abstract: "Copy every record of a SQLite data folder into an empty PostgreSQL database, checked by counts and a sample of rows.",
        discussion: """
            Stop the server on the folder first (the copy is refused while it runs). The copy is one transaction: all or nothing.
            The folder stays as it was. Afterwards start every instance with --database URL and --data naming this folder (or a
            copy of it that every instance reaches): its personal-data.key keeps finding duplicate ID cards, its photos/ are
            the photos the records name. The SQLite file in it is then no longer used.
            """)

    @OptionGroup var options: DataOptions

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.copy")
        guard let location = try options.postgresLocation() else {
            throw ValidationError("name the PostgreSQL database to fill with --database postgres://USER@HOST/DATABASE (or GUATAN_DATABASE)")
        }
        let folder = options.dataDirectory
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(GuatanDatabase.fileName).path) else {
            throw ValidationError("\(folder.path) holds no Guatan database to copy")
        }
        let lock = try DataFolderLock(folder, purpose: "copying it")
        defer { withExtendedLifetime(lock) {} }
        let source = try GuatanDatabase(dataDirectory: folder, logger: logger)
        let backend = try await options.openBackend(logger: logger, connections: 2)
        guard case .postgres(let target) = backend else { return }
        let started = ContinuousClock.now
        do {
            let report = try await target.copy(from: source) { printNow("  " + $0) }
            let total = report.rows.reduce(0) { $0 + $1.count }
            printNow(
                """
                copied \(folder.path) into \(location): \(total) rows in \(report.rows.count) tables, every count equal, \
                \(report.sampled) sampled rows read back equal, in \((ContinuousClock.now - started).components.seconds) s.
                Start the service with --database '\(location)' --data \(folder.path) (personal-data.key and photos/ stay there).
                """)
        } catch StoreError.conflict(let reason) {
            throw ValidationError(reason)
        }
    }
}
