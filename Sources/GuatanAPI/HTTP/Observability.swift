import Foundation
import GuatanCore
import GuatanStoreInterface
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The service's own figures for Prometheus. Every family is made here, with its HELP text,
/// straight on the registry (swift-metrics' factory gives none, which promtool rejects), and
/// counters end in `_total`.
public enum GuatanMetrics {
    public static let registry = PrometheusCollectorRegistry()

    static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    /// The request figures of one (method, route, status), looked up once: the registry
    /// checks names and labels on every lookup, which is not for every request. Bounded by
    /// the routes and statuses the service has.
    static func requestFigures(method: String, route: String, status: Int) -> (count: Prometheus.Counter, duration: DurationHistogram) {
        let key = RequestKey(method: method, route: route, status: status)
        if let found = requestCache.withLock({ $0[key] }) { return found }
        let figures = (requests(method: method, route: route, status: status), requestDuration(method: method, route: route))
        requestCache.withLock { $0[key] = figures }
        return figures
    }

    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private static let requestCache = Mutex<[RequestKey: (count: Prometheus.Counter, duration: DurationHistogram)]>([:])

    static func requests(method: String, route: String, status: Int) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: describe("guatan_http_requests_total", "HTTP requests answered, by method, route pattern and status"),
            labels: [("method", method), ("route", route), ("status", String(status))])
    }

    static func requestDuration(method: String, route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: describe(
                "guatan_http_request_duration_seconds", "Time from receiving a request to its answer's last byte, by method and route pattern"),
            labels: [("method", method), ("route", route)], buckets: durationBuckets)
    }

    static let activeRequests = registry.makeGauge(descriptor: describe("guatan_http_active_requests", "Requests being answered now"))

    /// 429 and 503 answers by why: what an operator watches for abuse and a failing disk.
    static func refused(status: Int, reason: String) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: describe(
                "guatan_refused_requests_total", "Requests refused with 429 (rate limits) or 503 (unavailable), by status and reason"),
            labels: [("status", String(status)), ("reason", reason)])
    }

    static func checkIn(outcome: String) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: describe(
                "guatan_checkin_attempts_total", "Vendors' check-in attempts, by outcome (checked_in, repeat, or the refusal's code)"),
            labels: [("outcome", outcome)])
    }

    static let checkInsToday = registry.makeGauge(descriptor: describe("guatan_checkins_today", "Stalls checked in on the current business day"))

    static let groupCommitBatch = registry.makeValueHistogram(
        descriptor: describe("guatan_group_commit_batch_size", "Writes joined into one group-commit transaction (check-ins and check-outs)"),
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])

    static let groupCommitDuration = registry.makeDurationHistogram(
        descriptor: describe("guatan_group_commit_duration_seconds", "Time one group-commit transaction took, its sync to disk included"),
        buckets: durationBuckets)

    static let snapshotRebuilds = registry.makeDurationHistogram(
        descriptor: describe("guatan_snapshot_rebuild_duration_seconds", "Rebuilds of the public registry snapshot (the map) and how long each took"),
        buckets: durationBuckets)

    static let snapshotUpdates = registry.makeDurationHistogram(
        descriptor: describe(
            "guatan_snapshot_update_duration_seconds", "Status changes (check-ins, permit steps) applied to the map snapshot, and how long each took"),
        buckets: durationBuckets)

    static func cache(_ name: String, hit: Bool) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: describe("guatan_cache_lookups_total", "Lookups in the service's in-memory caches, by cache and result"),
            labels: [("cache", name), ("result", hit ? "hit" : "miss")])
    }

    static let photoBytes = registry.makeGauge(descriptor: describe("guatan_photo_store_bytes", "Bytes of stored photos in the data folder"))
    static let freeDisk = registry.makeGauge(descriptor: describe("guatan_data_free_bytes", "Free bytes on the file system holding the data folder"))
    static let databaseBytes = registry.makeGauge(
        descriptor: describe("guatan_database_bytes", "Bytes of the database files (main file and write-ahead log)"))
    static let residentMemory = registry.makeGauge(
        descriptor: describe("guatan_process_resident_memory_bytes", "Resident memory of the service process"))
    static let openFiles = registry.makeGauge(descriptor: describe("guatan_process_open_fds", "File descriptors the service process holds open"))
    static let started = registry.makeGauge(
        descriptor: describe("guatan_process_start_time_seconds", "When the service process started, in seconds since the Unix epoch"))

    /// What the store reports about its group commit, wired to the figures above.
    public static let storeObserver = StoreObserver(groupCommitted: { batch, duration in
        groupCommitBatch.record(Double(batch))
        groupCommitDuration.record(duration)
    })
}

/// The figures read from the machine when `/metrics` is scraped: they cost a few system
/// calls, and the photo folder is walked at most once a minute.
final class ResourceGauges: Sendable {
    let dataDirectory: URL
    private let photoBytes = Mutex<(bytes: Int64, at: ContinuousClock.Instant)?>(nil)

    init(dataDirectory: URL) {
        self.dataDirectory = dataDirectory
        GuatanMetrics.started.set(Date().timeIntervalSince1970)
        // Made now, so a dashboard sees them at zero before the first check-in or rebuild.
        _ = (
            GuatanMetrics.groupCommitBatch, GuatanMetrics.groupCommitDuration, GuatanMetrics.snapshotRebuilds, GuatanMetrics.snapshotUpdates,
            GuatanMetrics.checkInsToday
        )
    }

    func update() {
        if let free = DiskSpace.freeBytes(at: dataDirectory) { GuatanMetrics.freeDisk.set(Double(free)) }
        GuatanMetrics.databaseBytes.set(Double(databaseBytes()))
        GuatanMetrics.photoBytes.set(Double(photoStoreBytes()))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        {
            GuatanMetrics.residentMemory.set(pages * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            GuatanMetrics.openFiles.set(Double(fds.count))
        }
    }

    func databaseBytes() -> Int64 {
        ["guatan.sqlite", "guatan.sqlite-wal"].reduce(0) { sum, name in
            sum + Self.size(of: dataDirectory.appendingPathComponent(name).path)
        }
    }

    private func photoStoreBytes() -> Int64 {
        let now = ContinuousClock.now
        if let known = photoBytes.withLock({ $0 }), now - known.at < .seconds(60) { return known.bytes }
        var total: Int64 = 0
        let folder = dataDirectory.appendingPathComponent("photos")
        if let walker = FileManager.default.enumerator(atPath: folder.path) {
            while let name = walker.nextObject() as? String {
                total += Self.size(of: folder.appendingPathComponent(name).path)
            }
        }
        photoBytes.withLock { $0 = (total, now) }
        return total
    }

    private static func size(of path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int64(info.st_size)
    }
}

enum DiskSpace {
    /// Bytes an unprivileged writer may still use on the file system holding `url`.
    static func freeBytes(at url: URL) -> Int64? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

/// Counts, times and (with `--log-format json`) logs every request, with the route's
/// pattern rather than its path so that stall numbers do not multiply the series.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = GuatanRequestContext
    let jsonLog: RequestLog?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        GuatanMetrics.activeRequests.increment()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ErrorMiddleware inside answers every error; what reaches here is the router's own.
            GuatanMetrics.activeRequests.decrement()
            record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, started: started)
            throw error
        }
        let status = response.status.code
        // Counted once the last byte is written, so the time includes sending the body.
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer {
                GuatanMetrics.activeRequests.decrement()
                record(request, context, status: status, started: started)
            }
            try await body.write(writer)
        }
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        // Files and unknown paths share one label each: a crawler cannot grow the series.
        let route = context.endpointPath ?? (status == 404 ? "NotFound" : "files")
        let method = request.method.rawValue
        let figures = GuatanMetrics.requestFigures(method: method, route: route, status: status)
        figures.count.increment()
        figures.duration.record(elapsed)
        jsonLog?.write(method: method, route: route, path: request.uri.path, status: status, elapsed: elapsed, client: context.clientAddress)
    }
}

/// One JSON line per request on standard error (`--log-format json`), for a log collector.
/// It holds what an operator needs and nothing private: never the query string (a tracking
/// code), a header (a token) or a body (a password, a phone number).
struct RequestLog: Sendable {
    func write(method: String, route: String, path: String, status: Int, elapsed: Duration, client: String) {
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let line: [String: any Sendable] = [
            "time": BusinessTime.rfc3339(Date()), "level": status >= 500 ? "error" : "info", "msg": "request",
            "method": method, "route": route, "path": Self.redacted(path), "status": status,
            "duration_ms": (milliseconds * 1000).rounded() / 1000, "client": client,
        ]
        guard var data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }

    /// A tracking code is the reporter's key to the case: the path keeps its place, not its value.
    static func redacted(_ path: String) -> String {
        let prefix = "/api/v1/reports/track/"
        guard path.hasPrefix(prefix) else { return path }
        let rest = path.dropFirst(prefix.count)
        let tail = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
        return prefix + "{tracking_code}" + tail
    }
}

/// Who a request really comes from, and over what: behind `--trusted-proxy` the forwarded
/// headers name the client and its scheme; from anyone else they are ignored. Every HTTPS
/// answer carries Strict-Transport-Security, so a browser never tries plain HTTP again.
struct ClientOriginMiddleware: RouterMiddleware {
    typealias Context = GuatanRequestContext
    let proxies: TrustedProxies
    /// The service itself speaks TLS (`--tls-cert`).
    let servesTLS: Bool
    /// `--public-url`, without a trailing slash.
    let publicURL: String?

    static let strictTransportSecurity = "max-age=31536000; includeSubDomains"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.publicOrigin = publicURL
        let peer = context.peerAddress
        if !proxies.ranges.isEmpty, let peer, proxies.trusts(peer) {
            let forwarded = request.headers[values: .xForwardedFor]
            context.client = proxies.client(peer: peer, forwardedFor: forwarded) ?? peer
            if let scheme = proxies.forwardedScheme(peer: peer, header: request.headers[.xForwardedProto]) {
                context.scheme = scheme
            }
        }
        if servesTLS { context.scheme = "https" }
        var response = try await next(request, context)
        if context.scheme == "https" {
            response.headers[.strictTransportSecurity] = Self.strictTransportSecurity
        }
        return response
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let strictTransportSecurity = Self("Strict-Transport-Security")!
}
