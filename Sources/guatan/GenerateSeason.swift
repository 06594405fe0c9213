import ArgumentParser
import Foundation
import GuatanAPI
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface

/// `guatan generate-season`: a whole season of realistic data in a new data folder, for
/// benchmarks and demonstrations at the programme's real size or at national scale.
struct GenerateSeason: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-season",
        abstract: "Fill a new data folder with a whole season: permits, daily check-ins, citizen reports and inspections.",
        discussion: """
            On top of the seed registry (--scale N copies it N times, up to 100: 39,000 sites and 205,900 slots), the
            demo population (accounts, a vendor and a permit for most slots; password guatan-demo-2026), then for every
            season day up to --through: check-ins with absences, refusals and check-outs (about 250,000 at scale 1),
            about 20,000 citizen reports through every state of the case loop and 10,000 inspections, times the scale.
            The same --random-seed makes the same season.
            """)

    @OptionGroup var options: DataOptions

    @Option(name: .customLong("seed"), help: "Seed registry folder (env GUATAN_SEED, default ./seed).")
    var seedFlag: String?

    @Option(name: .customLong("scale"), help: "How many times the registry (1–100, default 1).")
    var scale = 1

    @Option(name: .customLong("season"), help: "The season's year (default: this year).")
    var seasonFlag: Int?

    var year: Int { seasonFlag ?? BusinessTime.localDate(of: Date()).year }

    @Option(name: .customLong("through"), help: "The last day with data, YYYY-MM-DD (default: the season's last day).")
    var through: String?

    @Option(name: .customLong("random-seed"), help: "Seed of the generator (default 2026).")
    var randomSeed: UInt64 = 2026

    func validate() throws {
        guard (1...100).contains(scale) else { throw ValidationError("--scale must be from 1 to 100") }
        guard (2000...2100).contains(year) else { throw ValidationError("--season must be a year from 2000 to 2100") }
        if let through, LocalDate(through) == nil { throw ValidationError("--through must be a date such as 2026-08-20") }
    }

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.generate")
        let folder = options.dataDirectory
        if try options.postgresLocation() != nil {
            throw ValidationError("generate-season fills a SQLite data folder; move it into PostgreSQL afterwards with guatan copy-to-postgres")
        }
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("guatan.sqlite").path) {
            throw ValidationError("\(folder.path) already holds a database: generate-season fills a new data folder")
        }
        let started = ContinuousClock.now
        // Everything is set up the evening before the season opens, as a city would; the
        // season's dates are the store's (the seed loads with the standard ones).
        let evening = { (season: Season) in BusinessTime.instant(of: season.startsOn.adding(days: -1), at: LocalTime(hour: 18, minute: 0)!) }
        let seed = URL(fileURLWithPath: setting(seedFlag, env: "GUATAN_SEED", default: "./seed"), isDirectory: true)
        // The generator writes SQLite's rows in bulk; a PostgreSQL database gets its season by
        // `copy-to-postgres` from the folder generated here.
        let database = try await openSeeded(options, seed: seed, logger: logger, now: evening(Season.standard(year: year)))
            .requireSQLite("generate-season", otherwise: "generate into a data folder, then move it with guatan copy-to-postgres")
        let season = try await database.season(year: year)
        let eve = evening(season)
        let registry = try database.scaleRegistry(by: scale, now: eve)
        printNow("registry: \(registry.sites) sites, \(registry.slots) slots (scale \(scale))")
        let key = try PersonalDataKey.loadOrCreate(in: folder)
        try await loadDemoPopulation(into: database, key: key, now: eve, logger: logger)
        let last = through.flatMap(LocalDate.init) ?? season.endsOn
        let figures = try database.generateSeasonHistory(season: year, through: last, seed: randomSeed) { printNow($0) }
        let elapsed = ContinuousClock.now - started
        printNow(
            """
            season \(year) through \(min(last, season.endsOn)): \(figures.days) days, \(figures.checkIns) check-ins \
            (\(figures.attempts) attempts), \(figures.reports) reports (\(figures.reportEvents) timeline steps), \
            \(figures.inspections) inspections, \(figures.deductions) point deductions, in \(elapsed.components.seconds) s
            """)
    }
}
