import ArgumentParser
import Foundation
import GuatanAPI
import GuatanCore
import GuatanPostgres
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Logging

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
            The same --random-seed makes the same season. With --database the season goes into an empty PostgreSQL
            database: it is made in a scratch folder inside --data, moved in as copy-to-postgres does, and the folder removed.
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

    @Option(
        name: .customLong("applications"),
        help: "Also open this later season from the generated one, with its applications for the draw (3–5 a slot at popular sites), in review.")
    var applicationsYear: Int?

    func validate() throws {
        if let applicationsYear, applicationsYear <= year { throw ValidationError("--applications must be a season after --season") }
        guard (1...100).contains(scale) else { throw ValidationError("--scale must be from 1 to 100") }
        guard (2000...2100).contains(year) else { throw ValidationError("--season must be a year from 2000 to 2100") }
        if let through, LocalDate(through) == nil { throw ValidationError("--through must be a date such as 2026-08-20") }
    }

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.generate")
        let folder = options.dataDirectory
        guard let location = try options.postgresLocation() else {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("guatan.sqlite").path) {
                throw ValidationError("\(folder.path) already holds a database: generate-season fills a new data folder")
            }
            let key = try PersonalDataKey.loadOrCreate(in: folder)
            try await generate(into: options, key: key, logger: logger)
            return
        }
        // PostgreSQL: the generator writes SQLite's rows in bulk, so the season is made in a
        // scratch folder beside the key and moved in by the copy `copy-to-postgres` does, checked
        // the same way. The shared folder's key hashes the ID cards, as the instances will.
        guard case .postgres(let target) = try await options.openBackend(logger: logger, connections: 2) else { return }
        let occupied = try await target.occupiedTables()
        guard occupied.isEmpty else {
            throw ValidationError("\(location) is not empty (\(occupied.joined(separator: ", ")) hold rows): generate-season fills a new database")
        }
        let key = try PersonalDataKey.loadOrCreate(in: folder)
        let scratch = folder.appendingPathComponent("generate-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var scratchOptions = options
        scratchOptions.dataFlag = scratch.path
        scratchOptions.databaseFlag = ""
        try await generate(into: scratchOptions, key: key, logger: logger)
        let started = ContinuousClock.now
        let source = try GuatanDatabase(dataDirectory: scratch, logger: logger)
        do {
            let report = try await target.copy(from: source) { printNow("  " + $0) }
            printNow(
                "moved into \(location): \(report.rows.reduce(0) { $0 + $1.count }) rows, every count equal, "
                    + "\(report.sampled) sampled rows read back equal, in \((ContinuousClock.now - started).components.seconds) s")
        } catch StoreError.conflict(let reason) {
            throw ValidationError(reason)
        }
    }

    /// Fills the SQLite database of `options`' folder: the seed registry times the scale, the demo
    /// population, then every season day through `through`.
    private func generate(into options: DataOptions, key: PersonalDataKey, logger: Logger) async throws {
        let started = ContinuousClock.now
        // Everything is set up the evening before the season opens, as a city would; the
        // season's dates are the store's (the seed loads with the standard ones).
        let evening = { (season: Season) in BusinessTime.instant(of: season.startsOn.adding(days: -1), at: LocalTime(hour: 18, minute: 0)!) }
        let seed = URL(fileURLWithPath: setting(seedFlag, env: "GUATAN_SEED", default: "./seed"), isDirectory: true)
        let database = try await openSeeded(options, seed: seed, logger: logger, now: evening(Season.standard(year: year)))
            .requireSQLite("generate-season", otherwise: "the generator writes SQLite's rows")
        let season = try await database.season(year: year)
        let eve = evening(season)
        let registry = try database.scaleRegistry(by: scale, now: eve)
        printNow("registry: \(registry.sites) sites, \(registry.slots) slots (scale \(scale))")
        try await loadDemoPopulation(into: database, key: key, now: eve, logger: logger)
        let last = through.flatMap(LocalDate.init) ?? season.endsOn
        let figures = try database.generateSeasonHistory(season: year, through: last, seed: randomSeed) { printNow($0) }
        if let next = applicationsYear {
            let drawing = ContinuousClock.now
            let opened = BusinessTime.instant(of: LocalDate(year: next, month: 1, day: 10)!, at: LocalTime(hour: 9, minute: 0)!)
            _ = try await AllocationService(store: database).openSeason(year: next, from: year, actor: "generator", at: opened)
            // A history cut short has few days checked in: renewal then asks no share of them.
            let made = try database.generateApplications(
                season: next, windowOpens: LocalDate(year: next, month: 3, day: 1)!, windowCloses: LocalDate(year: next, month: 3, day: 31)!,
                renewalMinShare: last < season.endsOn ? 0 : SeasonPlan.defaultRenewalMinShare, seed: randomSeed, at: opened)
            printNow(
                """
                season \(next): \(made.applications) applications for \(made.slots) slots (\(made.renewals) renewals, \(made.newVendors) new \
                vendors, \(made.oversubscribedSites) sites oversubscribed), in review, in \((ContinuousClock.now - drawing).components.seconds) s
                """)
        }
        let elapsed = ContinuousClock.now - started
        printNow(
            """
            season \(year) through \(min(last, season.endsOn)): \(figures.days) days, \(figures.checkIns) check-ins \
            (\(figures.attempts) attempts), \(figures.reports) reports (\(figures.reportEvents) timeline steps), \
            \(figures.inspections) inspections, \(figures.deductions) point deductions, in \(elapsed.components.seconds) s
            """)
    }
}
