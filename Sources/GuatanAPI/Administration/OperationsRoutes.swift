import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import Prometheus

/// Health, metrics and the API's own description.
struct OperationsRoutes {
    let openAPIDocument: ByteBuffer?
    let store: any OperationsStore
    let checkIns: any CheckInStore
    let clock: ServiceClock
    /// Below this many free bytes in the data folder, `/readyz` says the service is not ready.
    let minimumFreeBytes: Int64
    let gauges: ResourceGauges

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(staticString: #"{"status":"ok"}"#)))
        }
        // For the proxy's and the orchestrator's health checks: 503 with the reason when the
        // database does not answer or the disk is (nearly) full, so traffic goes elsewhere.
        routes.get("/readyz") { _, _ in
            let (ready, checks) = await readiness()
            let failing = checks.filter { !$0.ok }.map { "\($0.name): \($0.detail)" }
            let body = try APIJSON.encoder().encode(
                ReadinessBody(
                    status: ready ? "ready" : "unavailable", reason: failing.isEmpty ? nil : failing.joined(separator: "; "), checks: checks))
            var headers: HTTPFields = [.contentType: APIJSON.contentType, .cacheControl: "no-store"]
            if !ready { headers[.retryAfter] = "30" }
            return Response(status: ready ? .ok : .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        routes.get("/metrics") { _, _ in
            gauges.update()
            let today = BusinessTime.localDate(of: clock.now())
            if let page = try? await checkIns.checkIns(district: nil, on: today, flaggedOnly: false, page: PageRequest(page: 1, perPage: 1)) {
                GuatanMetrics.checkInsToday.set(Double(page.total))
            }
            let text = GuatanMetrics.registry.emitToBuffer()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        let document = openAPIDocument
        let etag = document.map { Digest.etag($0.readableBytesView) }
        routes.get("/openapi.yaml") { request, _ in
            guard let document, let etag else { throw APIError.notFound("the OpenAPI document is not installed") }
            return HTTPCaching.respond(
                to: request, plain: document, gzip: nil, etag: etag, gzipEtag: etag,
                contentType: "application/yaml; charset=utf-8", cacheControl: "public, max-age=300")
        }
    }
}

extension OperationsRoutes {
    func readiness() async -> (Bool, [ReadinessBody.Check]) {
        var checks: [ReadinessBody.Check] = []
        do {
            try await store.ping()
            checks.append(.init(name: "database", ok: true, detail: "answers"))
        } catch {
            checks.append(.init(name: "database", ok: false, detail: "does not answer: \(StoreError.unavailability(of: error) ?? "error")"))
        }
        let megabyte: Int64 = 1 << 20
        if let free = DiskSpace.freeBytes(at: store.dataDirectory) {
            let room = free >= minimumFreeBytes
            checks.append(
                .init(
                    name: "disk", ok: room,
                    detail: room
                        ? "\(free / megabyte) MB free"
                        : "only \(free / megabyte) MB free in the data folder, below the \(minimumFreeBytes / megabyte) MB it needs (--min-free-mb)"))
        } else {
            checks.append(.init(name: "disk", ok: false, detail: "the data folder cannot be read"))
        }
        return (checks.allSatisfy(\.ok), checks)
    }
}
