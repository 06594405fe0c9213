import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging

/// Everything the HTTP service needs, decided by the command line (or a test).
public struct GuatanServiceConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Folder of the static pages (`public/`), which also holds `openapi.yaml`.
    public var publicDirectory: URL
    public var clock: ServiceClock
    public var passwords: PasswordHasher
    /// How long a sign-in lasts.
    public var sessionLifetime: TimeInterval
    public var loginThrottle: LoginThrottle
    public var personalDataKey: PersonalDataKey
    /// Citizen reports accepted per client address per hour; 0 turns the limit off.
    public var reportRatePerHour: Int
    /// The key Open311 POSTs must carry; without one, Open311 is read-only.
    public var open311APIKey: String?
    /// The address stall codes point at (`https://guatan.example.gov.cn`); the request's host when nil.
    public var publicURL: String?
    /// What the pages' map draws on: tiles when the deployment has a source, Leaflet when installed.
    public var webMap: WebMapConfiguration
    /// Reverse proxies believed about the client they forward for (`--trusted-proxy`).
    public var trustedProxies = TrustedProxies()
    /// The certificate when the service speaks HTTPS itself (`--tls-cert`, `--tls-key`).
    public var certificates: CertificateStore?
    /// A plain-HTTP port that redirects to HTTPS (`--redirect-http-port`).
    public var redirectHTTPPort: Int?
    /// One JSON line per request on standard error (`--log-format json`).
    public var jsonRequestLog = false
    /// Below this many free bytes in the data folder `/readyz` answers 503 (`--min-free-mb`).
    public var minimumFreeBytes: Int64 = 100 << 20
    /// Photo bytes one address may send with reports per hour (`--report-upload-mb`).
    public var reportUploadBytesPerHour = 50 << 20
    /// Requests with photos read and processed at once (`--max-uploads`); more get 503 at once.
    public var concurrentUploads = 8
    /// Seconds a connection may send nothing before it is closed (`--idle-timeout`).
    public var idleTimeoutSeconds = 30
    /// How webhook deliveries are retried and given up (`--webhook-retry-base`, `--webhook-attempts`).
    public var webhooks = WebhookPolicy()
    /// The SMS gateway text messages go through (`--sms-gateway`); none are written without one.
    public var sms: SMSGateway?
    /// Days the outbox, the texts and the dead letters are kept (`--outbox-retention-days`).
    public var outboxRetentionDays = FeedbackService.defaultRetentionDays

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicDirectory: URL, clock: ServiceClock = .system,
        passwords: PasswordHasher = PasswordHasher(), sessionLifetime: TimeInterval = 7 * 86_400,
        loginThrottle: LoginThrottle = LoginThrottle(), personalDataKey: PersonalDataKey, reportRatePerHour: Int = 10,
        open311APIKey: String? = nil, publicURL: String? = nil, webMap: WebMapConfiguration = WebMapConfiguration()
    ) {
        self.webMap = webMap
        self.publicURL = publicURL
        self.open311APIKey = open311APIKey
        self.reportRatePerHour = reportRatePerHour
        self.personalDataKey = personalDataKey
        self.host = host
        self.port = port
        self.publicDirectory = publicDirectory
        self.clock = clock
        self.passwords = passwords
        self.sessionLifetime = sessionLifetime
        self.loginThrottle = loginThrottle
    }
}

public struct GuatanRouter {
    public let router: Router<GuatanRequestContext>
    /// Every (method, path) the API serves, in OpenAPI's path syntax.
    public let routes: [(method: HTTPRequest.Method, path: String)]
    let snapshots: RegistrySnapshotCache
}

/// Builds the router: the client's origin outermost, then metrics and the request log, error
/// mapping, authentication, static files, routes.
public func buildRouter(configuration: GuatanServiceConfiguration, stores: GuatanStores, logger: Logger) -> GuatanRouter {
    let router = Router(context: GuatanRequestContext.self, options: [.autoGenerateHeadEndpoints])
    let patterns = RoutePatterns()
    router.add(
        middleware: ClientOriginMiddleware(
            proxies: configuration.trustedProxies, servesTLS: configuration.certificates != nil,
            publicURL: configuration.publicURL?.trimmingCharacters(in: CharacterSet(charactersIn: "/"))))
    router.add(middleware: RequestMetricsMiddleware(jsonLog: configuration.jsonRequestLog ? RequestLog() : nil))
    router.add(middleware: SecurityHeadersMiddleware(tileURL: configuration.webMap.tileURL))
    router.add(middleware: ErrorMiddleware(patterns: patterns))
    let sessions = SessionCache()
    stores.workflow.changes.subscribe { [sessions] changes in sessions.apply(changes) }
    router.add(middleware: AuthenticationMiddleware(accounts: stores.accounts, sessions: sessions, clock: configuration.clock))
    // Pages revalidate on every visit (cheap with ETags) so a deployment is seen at once.
    // Text is UTF-8: without the charset some clients would read the Chinese as Latin-1.
    let utf8 = ("charset", "utf-8")
    router.add(
        middleware: FileMiddleware(
            configuration.publicDirectory.path, cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true,
            logger: logger
        )
        .withAdditionalMediaTypes(forFileExtensions: [
            "html": MediaType(type: .text, subType: "html", parameter: utf8),
            "css": MediaType(type: .text, subType: "css", parameter: utf8),
            "js": MediaType(type: .text, subType: "javascript", parameter: utf8),
            "json": MediaType(type: .application, subType: "json", parameter: utf8),
            "svg": MediaType(type: .image, subType: "svg+xml", parameter: utf8),
        ]))

    // Leaflet comes from the machine (Debian's libjs-leaflet), never from the repository; the
    // pages fall back to their own plain drawing when it is not installed.
    if let leaflet = configuration.webMap.leafletDirectory {
        router.add(
            middleware: FileMiddleware(
                leaflet.path, urlBasePath: WebMapConfiguration.leafletPath, cacheControl: .init([(MediaType(type: .any), [.maxAge(86_400)])]),
                searchForIndexHtml: false, logger: logger))
    }

    let table = RouteTable(router: router, patterns: patterns)
    let openAPIFile = configuration.publicDirectory.appendingPathComponent("openapi.yaml")
    let document = (try? Data(contentsOf: openAPIFile)).map { ByteBuffer(bytes: $0) }
    if document == nil {
        logger.warning("no OpenAPI document", metadata: ["path": "\(openAPIFile.path)"])
    }
    OperationsRoutes(
        openAPIDocument: document, store: stores.operations, checkIns: stores.checkIns, clock: configuration.clock,
        minimumFreeBytes: configuration.minimumFreeBytes, gauges: ResourceGauges(dataDirectory: stores.operations.dataDirectory)
    ).register(on: table)
    WebConfigRoutes(map: configuration.webMap).register(on: table)
    let photoIntake = PhotoIntake(
        files: stores.photos, minimumFreeBytes: configuration.minimumFreeBytes, uploads: UploadGate(limit: configuration.concurrentUploads))
    let snapshots = RegistrySnapshotCache(store: stores.registry, clock: configuration.clock)
    // Every committed write says what it changed; the caches drop exactly that, here only.
    stores.workflow.changes.subscribe { [snapshots] changes in snapshots.apply(changes) }
    let workflows = GuatanWorkflows(store: stores.workflow)
    PublicRoutes(registry: stores.registry, snapshots: snapshots, clock: configuration.clock).register(on: table)
    MapRoutes(snapshots: snapshots).register(on: table)
    AuthRoutes(
        accounts: stores.accounts, workflow: workflows.accounts, vendors: stores.vendors, passwords: configuration.passwords,
        clock: configuration.clock,
        sessionLifetime: configuration.sessionLifetime, throttle: configuration.loginThrottle,
        decoyHash: configuration.passwords.makeDecoy()
    ).register(on: table)
    AdminRoutes(
        accounts: stores.accounts, workflow: workflows.accounts, audit: stores.audit, passwords: configuration.passwords,
        personalDataKey: configuration.personalDataKey, clock: configuration.clock
    ).register(on: table)
    PermitRoutes(
        permits: stores.permits, workflow: workflows.permits, registry: stores.registry, snapshots: snapshots, photos: photoIntake,
        clock: configuration.clock
    ).register(on: table)
    CheckInRoutes(checkIns: stores.checkIns, workflow: workflows.checkIns, snapshots: snapshots, clock: configuration.clock).register(on: table)
    // Citizens' reports and objections to a draw share one budget per address.
    let publicWrites = ReportRateLimiter(
        perHour: configuration.reportRatePerHour, bytesPerHour: configuration.reportUploadBytesPerHour, shared: stores.limits)
    ReportRoutes(
        reports: stores.reports, workflow: workflows.reports, inspections: stores.inspections, photos: photoIntake, limiter: publicWrites,
        stallPages: snapshots.stallPages, lists: snapshots.reportLists, clock: configuration.clock
    ).register(on: table)
    AllocationRoutes(
        workflow: workflows.allocation, photos: photoIntake, personalDataKey: configuration.personalDataKey, limiter: publicWrites,
        clock: configuration.clock
    ).register(on: table)
    InspectionRoutes(
        inspections: stores.inspections, workflow: workflows.inspections, checkIns: stores.checkIns, permits: stores.permits, photos: photoIntake,
        snapshots: snapshots,
        clock: configuration.clock
    ).register(on: table)
    StatisticsRoutes(
        statistics: stores.statistics, inspections: stores.inspections, workflows: workflows, reports: stores.reports, registry: stores.registry,
        clock: configuration.clock
    ).register(on: table)
    StallCodeRoutes(registry: stores.registry, publicURL: configuration.publicURL, clock: configuration.clock).register(on: table)
    FeedbackRoutes(
        feedback: stores.feedback, workflow: workflows.feedback, publicURL: configuration.publicURL, clock: configuration.clock,
        lists: snapshots.reportLists
    ).register(on: table)
    Open311Routes(
        reports: stores.reports, workflow: workflows.reports, apiKey: configuration.open311APIKey, clock: configuration.clock, snapshots: snapshots,
        logger: logger
    ).register(on: table)
    return GuatanRouter(router: router, routes: table.routes, snapshots: snapshots)
}

/// The whole service: HTTP/1.1, or HTTPS with HTTP/2 when it has a certificate, plus the
/// plain-HTTP redirect and the certificate reloader as services of the same lifecycle.
public func buildApplication(configuration: GuatanServiceConfiguration, stores: GuatanStores, logger: Logger) throws -> some ApplicationProtocol {
    let built = buildRouter(configuration: configuration, stores: stores, logger: logger)
    let server: HTTPServerBuilder
    // A connection that sends nothing for the idle timeout (a slow client trickling its
    // request head, a phone gone out of coverage) is closed with its buffers.
    let idle = configuration.idleTimeoutSeconds
    let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(Int64(idle)))
    if let certificates = configuration.certificates {
        server = try .http2Upgrade(
            tlsConfiguration: certificates.serverConfiguration(),
            configuration: .init(idleTimeout: .seconds(idle), gracefulCloseTimeout: .seconds(5), streamConfiguration: http1))
    } else {
        server = .http1(configuration: http1)
    }
    var app = Application(
        router: built.router, server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "guatan"),
        logger: logger)
    app.addServices(CertificateReloader(store: configuration.certificates, logger: logger))
    app.addServices(PhotoSweeper(files: stores.photos, store: stores.operations, logger: logger))
    app.addServices(SnapshotWarmUp(snapshots: built.snapshots, logger: logger))
    let workflows = GuatanWorkflows(store: stores.workflow)
    app.addServices(OfferScheduler(allocation: workflows.allocation, clock: configuration.clock, logger: logger))
    app.addServices(EscalationScheduler(feedback: workflows.feedback, clock: configuration.clock, logger: logger))
    app.addServices(
        FeedbackPruner(feedback: workflows.feedback, clock: configuration.clock, retentionDays: configuration.outboxRetentionDays, logger: logger))
    app.addServices(
        WebhookDeliverer(
            endpoints: stores.feedback, store: stores.workflow, clock: configuration.clock, policy: configuration.webhooks, logger: logger))
    if let gateway = configuration.sms {
        app.addServices(SMSDispatcher(feedback: workflows.feedback, gateway: gateway, clock: configuration.clock, logger: logger))
    }
    if let redirectPort = configuration.redirectHTTPPort {
        let redirect = HTTPSRedirect(
            publicURL: configuration.publicURL, httpsPort: configuration.port,
            acmeDirectory: stores.operations.dataDirectory.appendingPathComponent("acme-challenge", isDirectory: true))
        app.addServices(
            Application(
                router: redirect.router(logger: logger),
                configuration: .init(address: .hostname(configuration.host, port: redirectPort), serverName: "guatan"),
                logger: logger))
    }
    return app
}
