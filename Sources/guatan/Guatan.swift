import ArgumentParser
import CMemory
import Foundation
import GuatanAPI
import GuatanCore
import GuatanPostgres
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import Logging
import Synchronization

@main
struct Guatan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guatan",
        abstract: "Guatan (瓜摊): the seasonal fruit-stall programme's service.",
        subcommands: [
            Serve.self, Migrate.self, ImportSites.self, User.self, Backup.self, Restore.self, GenerateSeason.self, CopyToPostgres.self,
            SeasonCommand.self,
        ],
        defaultSubcommand: nil)

    /// Everything the service and the command line write (database, WAL, key, backups,
    /// photos) is the service user's alone: files 0600, folders 0700.
    static func main() async {
        umask(0o077)
        // glibc gives every thread that allocates an arena of its own (up to 8 a core), each
        // keeping what was freed in it: a national snapshot built on every core then stays
        // resident several times over. Four arenas are enough for two event loops and the pool.
        _ = guatan_limit_arenas(4)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            await Backend.closeAll()
        } catch {
            await Backend.closeAll()
            exit(withError: error)
        }
    }
}

/// Held by `serve` for as long as it runs (`DATA/serve.lock`, flock): a second server on the
/// same folder and a `restore` under a running server are refused instead of racing it.
final class DataFolderLock {
    private let descriptor: Int32

    init(_ dataDirectory: URL, purpose: String) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A folder made before umask 077 was set is closed to others now.
        chmod(dataDirectory.path, 0o700)
        let path = dataDirectory.appendingPathComponent("serve.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ValidationError("a Guatan server is running on \(dataDirectory.path); stop it before \(purpose)")
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Options every subcommand takes. Flags win; environment variables are the fallback.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data folder holding the SQLite database (env GUATAN_DATA, default ./data).")
    var dataFlag: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env GUATAN_LOG_LEVEL, default info).")
    var logLevelFlag: String?

    @Option(
        name: .customLong("database"),
        help: """
            A PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require] (env GUATAN_DATABASE); \
            default the SQLite database in --data. With PostgreSQL, --data holds only the personal-data key and the photos, \
            and every instance names the same folder.
            """)
    var databaseFlag: String?

    /// The PostgreSQL database named, or nil for the embedded SQLite database.
    func postgresLocation() throws -> PostgresLocation? {
        let url = setting(databaseFlag, env: "GUATAN_DATABASE", default: "")
        guard !url.isEmpty else { return nil }
        do {
            return try PostgresLocation(url: url)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Opens the database a command works on; a PostgreSQL one is migrated first.
    func openBackend(logger: Logger, observer: StoreObserver = StoreObserver(), connections: Int = 4) async throws -> Backend {
        guard let location = try postgresLocation() else {
            return .sqlite(try GuatanDatabase(dataDirectory: dataDirectory, logger: logger, observer: observer))
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = PostgresStore(location: location, dataDirectory: dataDirectory, logger: logger, connections: connections)
        do {
            try await store.migrate()
        } catch {
            await store.shutdown()
            throw ValidationError("\(location): \(StoreError.unavailability(of: error) ?? String(describing: error))")
        }
        return .opened(store)
    }

    var dataDirectory: URL {
        URL(fileURLWithPath: setting(dataFlag, env: "GUATAN_DATA", default: "./data"), isDirectory: true)
    }

    func makeLogger(label: String, json: Bool = false) throws -> Logger {
        let raw = setting(logLevelFlag, env: "GUATAN_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            throw ValidationError("unknown log level '\(raw)'")
        }
        LoggingBootstrap.once(json: json)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// The database a command works on: the SQLite file in the data folder, or PostgreSQL.
enum Backend {
    case sqlite(GuatanDatabase)
    case postgres(PostgresStore)

    var stores: GuatanStores {
        switch self {
        case .sqlite(let database): GuatanStores(database: database)
        case .postgres(let store): GuatanStores(postgres: store)
        }
    }

    var workflows: GuatanWorkflows { GuatanWorkflows(store: stores.workflow) }

    /// The PostgreSQL stores a command opened: closed once it is done, whether it succeeded or
    /// not, so the server sees their connections end rather than break.
    private static let opened = Mutex<[PostgresStore]>([])

    static func opened(_ store: PostgresStore) -> Backend {
        opened.withLock { $0.append(store) }
        return .postgres(store)
    }

    static func closeAll() async {
        let stores = opened.withLock { stores in
            defer { stores = [] }
            return stores
        }
        for store in stores { await store.shutdown() }
    }

    /// What a command that only SQLite can do says on PostgreSQL.
    func requireSQLite(_ what: String, otherwise: String) throws -> GuatanDatabase {
        switch self {
        case .sqlite(let database): return database
        case .postgres: throw ValidationError("\(what) works on the embedded SQLite database only; \(otherwise)")
        }
    }
}

/// Opens the database; an empty one is loaded with the seed registry first.
func openSeeded(
    _ options: DataOptions, seed seedDirectory: URL, logger: Logger, now: Date, observer: StoreObserver = StoreObserver(), connections: Int = 4
) async throws -> Backend {
    let backend = try await options.openBackend(logger: logger, observer: observer, connections: connections)
    if try await backend.stores.registry.sites(district: nil, text: nil, page: PageRequest(perPage: 1)).total == 0 {
        guard FileManager.default.fileExists(atPath: seedDirectory.appendingPathComponent("sites.csv").path) else {
            throw ValidationError("the database is empty and there is no seed registry at \(seedDirectory.path); pass --seed DIR")
        }
        // Loaded once however many instances start together: the seed's mark is checked in the loading transaction.
        if let loaded = try await backend.workflows.registry.loadSeedIfNeeded(from: seedDirectory, now: now) {
            logger.notice(
                "seed registry loaded",
                metadata: [
                    "sites": "\(loaded.sitesCreated)", "slots": "\(loaded.slotsCreated)", "from": "\(seedDirectory.path)",
                ])
        }
    }
    return backend
}

func setting(_ flag: String?, env name: String, default fallback: String) -> String {
    flag ?? ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
}

/// swift-log is bootstrapped once per process; logs go to standard error with their
/// metadata, as text or (`--log-format json`) one JSON object a line.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(json: Bool) {
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                if json { return JSONLogHandler(label: label) }
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .trace
                return handler
            }
        }
    }
}

/// A log line as a log collector reads it: `{"time","level","label","msg",…metadata}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line: [String: String] = ["time": BusinessTime.rfc3339(Date()), "level": event.level.rawValue, "label": label, "msg": "\(event.message)"]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where line[key] == nil {
            line[key] = "\(value)"
        }
        guard var data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service. An empty data folder is migrated and loaded with the seed registry.")

    @OptionGroup var options: DataOptions

    @Option(name: .customLong("host"), help: "Address to listen on (env GUATAN_HOST, default 127.0.0.1).")
    var hostFlag: String?

    @Option(name: .customLong("port"), help: "Port to listen on (env GUATAN_PORT, default 8080).")
    var portFlag: String?

    @Option(name: .customLong("seed"), help: "Folder of the seed registry CSVs (env GUATAN_SEED, default ./seed).")
    var seedFlag: String?

    @Option(name: .customLong("public"), help: "Folder of the web pages and openapi.yaml (env GUATAN_PUBLIC, default ./public).")
    var publicFlag: String?

    @Option(name: .customLong("now"), help: "Start the server's clock at this RFC 3339 instant and let it run on (env GUATAN_NOW).")
    var nowFlag: String?

    @Option(name: .customLong("session-hours"), help: "How long a sign-in lasts, in hours (env GUATAN_SESSION_HOURS, default 168).")
    var sessionHoursFlag: String?

    @Option(
        name: .customLong("report-rate"),
        help: "Citizen reports accepted per client address per hour; 0 turns the limit off (env GUATAN_REPORT_RATE, default 10).")
    var reportRateFlag: String?

    @Option(
        name: .customLong("open311-api-key"),
        help: "The api_key Open311 POSTs must carry (env GUATAN_OPEN311_API_KEY); without one Open311 is read-only.")
    var open311KeyFlag: String?

    @Option(
        name: .customLong("public-url"),
        help:
            "The address stall codes point at, such as https://guatan.example.gov.cn (env GUATAN_PUBLIC_URL; default: the address the request came to)."
    )
    var publicURLFlag: String?

    @Option(
        name: .customLong("tile-url"),
        help:
            "Map tiles for the pages, a template such as https://tiles.example.cn/{z}/{x}/{y}.png (env GUATAN_TILE_URL; default: none, the stalls are drawn on a plain background)."
    )
    var tileURLFlag: String?

    @Option(name: .customLong("tile-attribution"), help: "The attribution the tile source requires (env GUATAN_TILE_ATTRIBUTION).")
    var tileAttributionFlag: String?

    @Option(
        name: .customLong("tile-crs"), help: "The tiles' datum: wgs84, or gcj02 for Chinese commercial maps (env GUATAN_TILE_CRS, default wgs84).")
    var tileCRSFlag: String?

    @Option(
        name: .customLong("leaflet"),
        help:
            "Folder holding leaflet.js for the map pages (env GUATAN_LEAFLET, default /usr/share/javascript/leaflet from Debian's libjs-leaflet); without it the pages draw the map themselves."
    )
    var leafletFlag: String?

    @Flag(name: .customLong("demo"), help: "Add demo accounts, vendors and permits for most slots of the current season, and print the demo logins.")
    var demo = false

    @Option(
        name: .customLong("tls-cert"),
        help: "PEM certificate chain (such as certbot's fullchain.pem): serve HTTPS with HTTP/2 (env GUATAN_TLS_CERT). Reloaded on SIGHUP.")
    var tlsCertFlag: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (env GUATAN_TLS_KEY).")
    var tlsKeyFlag: String?

    @Option(
        name: .customLong("redirect-http-port"),
        help: "Also answer plain HTTP on this port with a 308 redirect to HTTPS (env GUATAN_REDIRECT_HTTP_PORT; needs --tls-cert).")
    var redirectPortFlag: String?

    @Option(
        name: .customLong("trusted-proxy"),
        help:
            "A reverse proxy's address or CIDR range whose X-Forwarded-For and X-Forwarded-Proto are believed; repeatable (env GUATAN_TRUSTED_PROXIES, comma-separated)."
    )
    var trustedProxyFlags: [String] = []

    @Option(
        name: .customLong("min-free-mb"),
        help:
            "Free megabytes the data folder's disk must keep: below it photo uploads answer 503 and /readyz says not ready, while check-ins and reports without photos go on (env GUATAN_MIN_FREE_MB, default 100)."
    )
    var minFreeFlag: String?

    @Option(
        name: .customLong("report-upload-mb"),
        help: "Photo megabytes one address may send with reports per hour (env GUATAN_REPORT_UPLOAD_MB, default 50).")
    var reportUploadFlag: String?

    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may send nothing, a request head included, before it is closed (env GUATAN_IDLE_TIMEOUT, default 30).")
    var idleTimeoutFlag: String?

    @Option(
        name: .customLong("max-uploads"),
        help: "Requests with photos handled at once; more answer 503 with Retry-After (env GUATAN_MAX_UPLOADS, default 8).")
    var maxUploadsFlag: String?

    @Option(
        name: .customLong("webhook-retry-base"),
        help: "Seconds before a failed webhook delivery is tried again, doubling each time up to an hour (env GUATAN_WEBHOOK_RETRY_BASE, default 30)."
    )
    var webhookRetryFlag: String?

    @Option(
        name: .customLong("webhook-attempts"),
        help: "Attempts at one event before it goes to the dead letters (env GUATAN_WEBHOOK_ATTEMPTS, default 8).")
    var webhookAttemptsFlag: String?

    @Option(
        name: .customLong("webhook-timeout"),
        help: "Seconds a webhook receiver has to answer before the attempt counts as failed (env GUATAN_WEBHOOK_TIMEOUT, default 10).")
    var webhookTimeoutFlag: String?

    @Option(
        name: .customLong("outbox-retention-days"),
        help: "Days the outbox of events, the text messages and the dead letters are kept (env GUATAN_OUTBOX_RETENTION_DAYS, default 90).")
    var outboxRetentionFlag: String?

    @Option(
        name: .customLong("sms-gateway"),
        help: "The HTTP SMS gateway's address; text messages are written and sent only with one (env GUATAN_SMS_GATEWAY).")
    var smsGatewayFlag: String?

    @Option(name: .customLong("sms-key"), help: "The gateway's key, sent as a bearer token (env GUATAN_SMS_KEY).")
    var smsKeyFlag: String?

    @Option(
        name: .customLong("sms-daily-cap"),
        help: "Text messages one number receives a day at most, urgent ones aside (env GUATAN_SMS_DAILY_CAP, default 5).")
    var smsCapFlag: String?

    @Option(
        name: .customLong("log-format"), help: "text, or json: one JSON line per log entry and per request (env GUATAN_LOG_FORMAT, default text).")
    var logFormatFlag: String?

    func run() async throws {
        let logFormat = setting(logFormatFlag, env: "GUATAN_LOG_FORMAT", default: "text").lowercased()
        guard ["text", "json"].contains(logFormat) else {
            throw ValidationError("--log-format must be text or json, not '\(logFormat)'")
        }
        let logger = try options.makeLogger(label: "guatan", json: logFormat == "json")
        let host = setting(hostFlag, env: "GUATAN_HOST", default: "127.0.0.1")
        let portText = setting(portFlag, env: "GUATAN_PORT", default: "8080")
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("port must be a number from 0 to 65535, not '\(portText)'")
        }
        var clock = ServiceClock.system
        if let raw = nowFlag ?? ProcessInfo.processInfo.environment["GUATAN_NOW"], !raw.isEmpty {
            guard let start = BusinessTime.parseInstant(raw) else {
                throw ValidationError("--now must be an RFC 3339 instant such as 2026-07-15T09:00:00+08:00, not '\(raw)'")
            }
            clock = .starting(at: start)
            logger.notice("server clock set", metadata: ["now": "\(BusinessTime.rfc3339(start))"])
        }
        let started = ContinuousClock.now
        let seedDirectory = URL(fileURLWithPath: setting(seedFlag, env: "GUATAN_SEED", default: "./seed"), isDirectory: true)
        // A certificate that cannot serve stops start-up before anything else is done.
        let certificates = try certificates()
        let redirectHTTPPort = try redirectPort(tls: certificates != nil, port: port)
        let postgres = try options.postgresLocation()
        if postgres != nil, demo {
            throw ValidationError("--demo runs on the embedded SQLite database; leave out --database to try it")
        }
        // One server per SQLite folder; on PostgreSQL every instance shares the folder (key and photos).
        let lock = postgres == nil ? try DataFolderLock(options.dataDirectory, purpose: "starting another on the same folder") : nil
        defer { withExtendedLifetime(lock) {} }
        let personalDataKey = try PersonalDataKey.loadOrCreate(in: options.dataDirectory)
        let backend = try await openSeeded(
            options, seed: seedDirectory, logger: logger, now: clock.now(), observer: GuatanMetrics.storeObserver, connections: 16)
        let sessionText = setting(sessionHoursFlag, env: "GUATAN_SESSION_HOURS", default: "168")
        guard let sessionHours = Double(sessionText), sessionHours > 0, sessionHours <= 24 * 365 else {
            throw ValidationError("session hours must be a number from 0 to 8760, not '\(sessionText)'")
        }
        let reportRateText = setting(reportRateFlag, env: "GUATAN_REPORT_RATE", default: "10")
        guard let reportRate = Int(reportRateText), reportRate >= 0, reportRate <= 100_000 else {
            throw ValidationError("report rate must be a whole number from 0 to 100000, not '\(reportRateText)'")
        }
        if demo {
            do {
                try await loadDemoPopulation(
                    into: try backend.requireSQLite("--demo", otherwise: "leave out --database"), key: personalDataKey, now: clock.now(),
                    logger: logger)
            } catch StoreError.conflict(let reason) {
                throw ValidationError(reason)
            }
        }
        var configuration = GuatanServiceConfiguration(
            host: host, port: port,
            publicDirectory: URL(fileURLWithPath: setting(publicFlag, env: "GUATAN_PUBLIC", default: "./public"), isDirectory: true),
            clock: clock, sessionLifetime: sessionHours * 3600, personalDataKey: personalDataKey, reportRatePerHour: reportRate,
            open311APIKey: (open311KeyFlag ?? ProcessInfo.processInfo.environment["GUATAN_OPEN311_API_KEY"]).flatMap { $0.isEmpty ? nil : $0 },
            publicURL: try publicURL(), webMap: try webMap())
        configuration.trustedProxies = try trustedProxies()
        configuration.certificates = certificates
        configuration.redirectHTTPPort = redirectHTTPPort
        configuration.jsonRequestLog = logFormat == "json"
        let minFreeText = setting(minFreeFlag, env: "GUATAN_MIN_FREE_MB", default: "100")
        guard let minFree = Int64(minFreeText), minFree >= 0, minFree <= 1 << 30 else {
            throw ValidationError("--min-free-mb must be a whole number of megabytes, not '\(minFreeText)'")
        }
        configuration.minimumFreeBytes = minFree << 20
        let uploadText = setting(reportUploadFlag, env: "GUATAN_REPORT_UPLOAD_MB", default: "50")
        guard let uploadMB = Int(uploadText), (1...100_000).contains(uploadMB) else {
            throw ValidationError("--report-upload-mb must be a whole number from 1 to 100000, not '\(uploadText)'")
        }
        configuration.reportUploadBytesPerHour = uploadMB << 20
        let maxUploadsText = setting(maxUploadsFlag, env: "GUATAN_MAX_UPLOADS", default: "8")
        guard let maxUploads = Int(maxUploadsText), (1...1000).contains(maxUploads) else {
            throw ValidationError("--max-uploads must be a whole number from 1 to 1000, not '\(maxUploadsText)'")
        }
        configuration.concurrentUploads = maxUploads
        let idleText = setting(idleTimeoutFlag, env: "GUATAN_IDLE_TIMEOUT", default: "30")
        guard let idle = Int(idleText), (1...3600).contains(idle) else {
            throw ValidationError("--idle-timeout must be a whole number of seconds from 1 to 3600, not '\(idleText)'")
        }
        configuration.idleTimeoutSeconds = idle
        let retryText = setting(webhookRetryFlag, env: "GUATAN_WEBHOOK_RETRY_BASE", default: "30")
        guard let retry = Double(retryText), (0.1...3600).contains(retry) else {
            throw ValidationError("--webhook-retry-base must be seconds from 0.1 to 3600, not '\(retryText)'")
        }
        let attemptsText = setting(webhookAttemptsFlag, env: "GUATAN_WEBHOOK_ATTEMPTS", default: "8")
        guard let attempts = Int(attemptsText), (1...50).contains(attempts) else {
            throw ValidationError("--webhook-attempts must be a whole number from 1 to 50, not '\(attemptsText)'")
        }
        let timeoutText = setting(webhookTimeoutFlag, env: "GUATAN_WEBHOOK_TIMEOUT", default: "10")
        guard let webhookTimeout = Double(timeoutText), (1...120).contains(webhookTimeout) else {
            throw ValidationError("--webhook-timeout must be seconds from 1 to 120, not '\(timeoutText)'")
        }
        configuration.webhooks = WebhookPolicy(retryBase: retry, attempts: attempts, timeout: webhookTimeout)
        let retentionText = setting(outboxRetentionFlag, env: "GUATAN_OUTBOX_RETENTION_DAYS", default: String(FeedbackService.defaultRetentionDays))
        guard let retention = Int(retentionText), (7...3650).contains(retention) else {
            throw ValidationError("--outbox-retention-days must be a whole number of days from 7 to 3650, not '\(retentionText)'")
        }
        configuration.outboxRetentionDays = retention
        let gateway = setting(smsGatewayFlag, env: "GUATAN_SMS_GATEWAY", default: "")
        if !gateway.isEmpty {
            guard let url = URL(string: gateway), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--sms-gateway must be an http(s) address, not '\(gateway)'")
            }
            let capText = setting(smsCapFlag, env: "GUATAN_SMS_DAILY_CAP", default: String(SMSRules.defaultDailyCap))
            guard let cap = Int(capText), (1...100).contains(cap) else {
                throw ValidationError("--sms-daily-cap must be a whole number from 1 to 100, not '\(capText)'")
            }
            let key = setting(smsKeyFlag, env: "GUATAN_SMS_KEY", default: "")
            configuration.sms = SMSGateway(url: gateway, key: key.isEmpty ? nil : key, dailyCap: cap)
        }
        let stores = backend.stores
        // Other instances' writes drop this one's cached pages as its own writes do.
        if case .postgres(let store) = backend { await store.listenForChanges() }
        // Nothing of this process is in flight yet: every staged file is either committed (moved in)
        // or dropped; on PostgreSQL other instances may be uploading into the shared folder now.
        await PhotoSweeper.sweep(
            files: stores.photos, store: stores.operations, stagedBefore: postgres == nil ? nil : Date().addingTimeInterval(-3600), logger: logger)
        let app = try buildApplication(configuration: configuration, stores: stores, logger: logger)
        let elapsed = ContinuousClock.now - started
        var address = "\(configuration.certificates == nil ? "http" : "https")://\(host):\(port)"
        if let redirect = configuration.redirectHTTPPort { address += " (plain HTTP on \(redirect) redirects)" }
        logger.notice(
            "starting",
            metadata: [
                "address": "\(address)", "data": "\(options.dataDirectory.path)", "database": "\(postgres.map(\.description) ?? "sqlite")",
                "prepared_in_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        // Stops accepting, finishes requests in flight, then returns on SIGTERM or SIGINT.
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped")
    }
}

extension Serve {
    func trustedProxies() throws -> TrustedProxies {
        var entries = trustedProxyFlags
        if entries.isEmpty, let raw = ProcessInfo.processInfo.environment["GUATAN_TRUSTED_PROXIES"] {
            entries = raw.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        }
        return TrustedProxies(
            try entries.map { entry in
                guard let range = AddressRange(entry.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--trusted-proxy must be an IP address or a CIDR range such as 10.0.0.0/8 or ::1, not '\(entry)'")
                }
                return range
            })
    }

    /// The pair when HTTPS is asked for; a bad one stops start-up with one clear line.
    func certificates() throws -> CertificateStore? {
        let environment = ProcessInfo.processInfo.environment
        let cert = (tlsCertFlag ?? environment["GUATAN_TLS_CERT"]).flatMap { $0.isEmpty ? nil : $0 }
        let key = (tlsKeyFlag ?? environment["GUATAN_TLS_KEY"]).flatMap { $0.isEmpty ? nil : $0 }
        switch (cert, key) {
        case (nil, nil): return nil
        case (.some, nil): throw ValidationError("--tls-cert needs --tls-key, the certificate's private key")
        case (nil, .some): throw ValidationError("--tls-key needs --tls-cert, the certificate it belongs to")
        case (let cert?, let key?):
            // One line, without the usage text a ValidationError would add: the flags were right.
            return try CertificateStore(files: TLSFiles(certificate: cert, key: key))
        }
    }

    func redirectPort(tls: Bool, port: Int) throws -> Int? {
        guard let raw = redirectPortFlag ?? ProcessInfo.processInfo.environment["GUATAN_REDIRECT_HTTP_PORT"], !raw.isEmpty else { return nil }
        guard let redirect = Int(raw), (1...65535).contains(redirect), redirect != port else {
            throw ValidationError("--redirect-http-port must be a port from 1 to 65535 other than --port, not '\(raw)'")
        }
        guard tls else { throw ValidationError("--redirect-http-port redirects to HTTPS: it needs --tls-cert and --tls-key") }
        return redirect
    }

    func webMap() throws -> WebMapConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let tileURL = (tileURLFlag ?? environment["GUATAN_TILE_URL"]).flatMap { $0.isEmpty ? nil : $0 }
        if let tileURL {
            guard tileURL.hasPrefix("https://") || tileURL.hasPrefix("http://") || tileURL.hasPrefix("/"),
                tileURL.contains("{z}"), tileURL.contains("{x}"), tileURL.contains("{y}")
            else {
                throw ValidationError("--tile-url must be a template with {z}, {x} and {y}, such as https://tiles.example.cn/{z}/{x}/{y}.png")
            }
        }
        let crsText = setting(tileCRSFlag, env: "GUATAN_TILE_CRS", default: "wgs84")
        guard let crs = CoordinateSystem(rawValue: crsText.lowercased()) else {
            throw ValidationError("--tile-crs must be wgs84 or gcj02, not '\(crsText)'")
        }
        let leafletPath = setting(leafletFlag, env: "GUATAN_LEAFLET", default: "/usr/share/javascript/leaflet")
        return WebMapConfiguration(
            tileURL: tileURL, tileAttribution: setting(tileAttributionFlag, env: "GUATAN_TILE_ATTRIBUTION", default: ""),
            tileCoordinateSystem: crs, leafletDirectory: leafletPath.isEmpty ? nil : WebMapConfiguration.leafletDirectory(at: leafletPath))
    }

    func publicURL() throws -> String? {
        guard let raw = publicURLFlag ?? ProcessInfo.processInfo.environment["GUATAN_PUBLIC_URL"], !raw.isEmpty else { return nil }
        guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--public-url must be an http(s) address such as https://guatan.example.gov.cn, not '\(raw)'")
        }
        return raw
    }
}

/// Adds the demo population once and prints the logins to standard output.
func loadDemoPopulation(into database: GuatanDatabase, key: PersonalDataKey, now: Date, logger: Logger) async throws {
    let slots = try await database.registryState(today: BusinessTime.localDate(of: now)).sites.reduce(0) { $0 + $1.slots.count }
    // One bcrypt hash shared by every demo account: hashing two thousand would take minutes.
    let hash = try await PasswordHasher().hash(DemoPopulation.password)
    let season = BusinessTime.localDate(of: now).year
    guard
        let summary = try database.loadDemo(
            vendors: DemoPopulation.vendors(count: slots, key: key), passwordHash: hash, season: season, now: now)
    else {
        printNow("demo data already loaded; every demo account's password is \(DemoPopulation.password)")
        return
    }
    var lines = [
        "Demo data for season \(season): \(summary.vendorsCreated) vendors, \(summary.permitsIssued) permits issued, "
            + "\(summary.applications) applications to review, \(summary.checkedInToday) stalls checked in today.",
        "Every demo account's password: \(DemoPopulation.password)",
        "  admin    \(summary.admin)",
    ]
    lines += summary.officers.map { "  officer  \($0.username)  (district \($0.district))" }
    lines += summary.sampleVendors.map { "  vendor   \($0.username)  (slot \($0.slotId): \($0.situation))" }
    lines.append("  … and every vendor demo.v0001 to demo.v\(zeroPadded(summary.vendorsCreated, width: 4))")
    printNow(lines.joined(separator: "\n"))
    logger.notice("demo data loaded", metadata: ["vendors": "\(summary.vendorsCreated)", "checked_in_today": "\(summary.checkedInToday)"])
}

/// Prints at once: standard output to a pipe is otherwise held until the server stops.
func printNow(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a consistent copy of the database while the service runs (SQLite's online backup).",
        discussion: """
            The copy holds every record. Keep DATA/personal-data.key and DATA/photos/ with it: without the key,
            duplicate ID cards cannot be found; the photos are files beside the database.
            """)

    @OptionGroup var options: DataOptions

    @Argument(help: "The new file to write (it must not exist).")
    var file: String

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.backup")
        if let location = try options.postgresLocation() {
            throw ValidationError(
                "a PostgreSQL database is backed up with PostgreSQL's own tools, while the service runs: "
                    + "pg_dump --format=custom --file=\(file) 'postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)' "
                    + "(and keep \(options.dataDirectory.path)/personal-data.key and photos/ with it)")
        }
        let database = try GuatanDatabase(dataDirectory: options.dataDirectory, logger: logger)
        do {
            let migrations = try database.backup(to: URL(fileURLWithPath: file))
            print("backed up \(options.dataDirectory.path) to \(file) (\(migrations.count) migrations, integrity ok)")
        } catch StoreError.conflict(let reason) {
            throw ValidationError(reason)
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a backup and restore it into the data folder (refused while a server runs on it).",
        discussion: "Copy personal-data.key and photos/ back beside it from the same backup.")

    @OptionGroup var options: DataOptions

    @Argument(help: "The backup file.")
    var file: String

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.restore")
        if let location = try options.postgresLocation() {
            throw ValidationError(
                "a PostgreSQL backup is restored with pg_restore into an empty database, the services stopped: "
                    + "pg_restore --dbname='postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)' \(file)")
        }
        let source = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: source.path) else { throw ValidationError("no backup at \(file)") }
        let lock = try DataFolderLock(options.dataDirectory, purpose: "restoring into it")
        defer { withExtendedLifetime(lock) {} }
        do {
            _ = try GuatanDatabase.check(source)
            let database = try GuatanDatabase(dataDirectory: options.dataDirectory, logger: logger)
            let migrations = try database.restore(from: source)
            print("restored \(file) into \(options.dataDirectory.path) (\(migrations.count) migrations, integrity ok)")
        } catch StoreError.conflict(let reason) {
            throw ValidationError(reason)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database schema up to date and list the migrations applied.")

    @OptionGroup var options: DataOptions

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.migrate")
        switch try await options.openBackend(logger: logger, connections: 1) {
        case .sqlite(let database):
            for migration in try database.appliedMigrations() { print(migration) }
        case .postgres(let store):
            for migration in try await store.appliedMigrations() { print(migration) }
        }
    }
}

struct ImportSites: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-sites",
        abstract: "Import sites from a CSV file: all rows or none; every bad row is reported with its line.",
        discussion: """
            Columns as in seed/sites.csv: site_id,district,name,address,street_office,lat,lng,opens_at,closes_at,slots
            (street_office, opens_at and closes_at may be empty). A new site_id creates the site and its slots;
            a known one updates the site and adds slots up to the new count. Positions are WGS-84.

            With --season YEAR (a season in planning, see `guatan season open`), the file is that season's whole
            registry: the sites and slots it adds, removes, moves and resizes are listed, and applied only with
            --apply. The running season's registry is not touched.
            """)

    @OptionGroup var options: DataOptions

    @Argument(help: "The CSV file (UTF-8).")
    var file: String

    @Option(help: "A season in planning whose own registry the file replaces (shows the difference first).")
    var season: Int?

    @Flag(help: "With --season: apply the difference shown.")
    var apply = false

    func run() async throws {
        let logger = try options.makeLogger(label: "guatan.import")
        let backend = try await options.openBackend(logger: logger, connections: 1)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        do {
            let actor = "cli:" + (ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            if let season {
                let diff = try await backend.workflows.allocation.importSeasonSites(
                    csv: data, file: file, season: season, apply: apply, actor: actor, at: Date())
                diff.lines.forEach { print($0) }
                if diff.isEmpty {
                    print("no change to the \(season) registry")
                } else if diff.applied {
                    print("applied to the \(season) registry")
                } else {
                    print("nothing changed yet: run again with --apply to apply these \(diff.lines.count) changes to the \(season) registry")
                }
                return
            }
            guard !apply else { throw ValidationError("--apply goes with --season YEAR") }
            let summary = try await backend.workflows.registry.importSites(csv: data, file: file, actor: actor, now: Date())
            print("imported \(file): \(summary.sitesCreated) sites created, \(summary.sitesUpdated) updated, \(summary.slotsCreated) slots created")
        } catch let error as RegistryImportError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        } catch let error as AllocationError {
            FileHandle.standardError.write(Data((SeasonCommand.Open.describe(error) + "\n").utf8))
            throw ExitCode(1)
        }
    }
}

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts from the command line (the first administrator, for one).",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Passwd.self])

    static func open(_ options: DataOptions) async throws -> Backend {
        try await options.openBackend(logger: try options.makeLogger(label: "guatan.user"), connections: 1)
    }

    static func setDisabled(_ disabled: Bool, username: String, options: DataOptions) async throws {
        let backend = try await open(options)
        do {
            _ = try await backend.workflows.accounts.setDisabled(
                username: username.lowercased(), disabled: disabled, actor: actor, at: Date())
        } catch StoreError.conflict(let reason) {
            throw ValidationError(reason)
        } catch StoreError.notFound(let reason) {
            throw ValidationError(reason)
        }
    }

    static var actor: String {
        "cli:" + (ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts: role, district, created, disabled, live sessions.")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let backend = try await User.open(options)
            for item in try await backend.stores.accounts.accountList() {
                let state = item.disabledAt.map { "disabled since \($0)" } ?? "active, \(item.liveSessions) live session(s)"
                let place = item.account.district ?? item.account.vendorId ?? "-"
                print("\(item.account.username)\t\(item.account.role.rawValue)\t\(place)\tcreated \(item.createdAt)\t\(state)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: it cannot sign in, and every session it has ends at once (the next request is refused).")

        @OptionGroup var options: DataOptions

        @Argument(help: "The account's username.")
        var username: String

        func run() async throws {
            try await User.setDisabled(true, username: username, options: options)
            print("disabled \(username.lowercased()); its sessions have ended")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again: it may sign in.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The account's username.")
        var username: String

        func run() async throws {
            try await User.setDisabled(false, username: username, options: options)
            print("enabled \(username.lowercased())")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an account's password (read from standard input); every session it has ends.",
            discussion: "echo 'a new long password' | guatan user passwd cg.li --password-stdin")

        @OptionGroup var options: DataOptions

        @Argument(help: "The account's username.")
        var username: String

        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required: never on the command line).")
        var passwordStdin = false

        func run() async throws {
            guard passwordStdin else { throw ValidationError("pass --password-stdin and give the password on standard input") }
            let backend = try await User.open(options)
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
            let username = self.username.lowercased()
            do {
                try AccountRules.validatePassword(line, username: username)
            } catch {
                throw ValidationError(error.message)
            }
            do {
                let hash = try await PasswordHasher().hash(line)
                try await backend.workflows.accounts.changePassword(
                    username: username, passwordHash: hash, keepingSession: nil, actor: User.actor, at: Date())
                print("set the password of \(username); its sessions have ended")
            } catch StoreError.notFound(let reason) {
                throw ValidationError(reason)
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an administrator or officer account; the password is read from standard input.",
            discussion: "echo 'a long password' | guatan user add --username admin --role admin --password-stdin")

        @OptionGroup var options: DataOptions

        @Option(help: "3–32 characters: a–z, 0–9, '.', '_', '-'.")
        var username: String

        @Option(help: "admin, officer or call_taker (the bureau's hotline staff); vendor accounts come with their vendor record.")
        var role: String

        @Option(help: "The officer's district code, e.g. CG.")
        var district: String?

        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required: never on the command line).")
        var passwordStdin = false

        @Option(name: .customLong("seed"), help: "Seed registry loaded first into an empty database (env GUATAN_SEED, default ./seed).")
        var seedFlag: String?

        func run() async throws {
            guard passwordStdin else {
                throw ValidationError("pass --password-stdin and give the password on standard input")
            }
            let logger = try options.makeLogger(label: "guatan.user")
            let seed = URL(fileURLWithPath: setting(seedFlag, env: "GUATAN_SEED", default: "./seed"), isDirectory: true)
            let backend = try await openSeeded(options, seed: seed, logger: logger, now: Date(), connections: 1)
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            let username = self.username.lowercased()
            guard let role = Role(rawValue: role) else {
                throw ValidationError("role must be admin, officer or call_taker")
            }
            do {
                try AccountRules.validateUsername(username)
                try AccountRules.validatePassword(line, username: username)
                try AccountRules.validateBinding(
                    role: role, district: district?.uppercased(), knownDistricts: try await backend.stores.accounts.districtCodes())
            } catch let error as GuatanCore.ValidationError {
                throw ValidationError(error.message)
            }
            let hash = try await PasswordHasher().hash(line)
            let actor = User.actor
            do {
                let account = try await backend.workflows.accounts.createAccount(
                    username: username, passwordHash: hash, role: role, district: district?.uppercased(), vendorId: nil,
                    actor: actor, at: Date())
                print("created \(account.role.rawValue) \(account.username)" + (account.district.map { " of \($0)" } ?? ""))
            } catch StoreError.conflict(let reason) {
                throw ValidationError(reason)
            }
        }
    }
}
