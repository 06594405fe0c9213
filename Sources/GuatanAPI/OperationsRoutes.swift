import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics. swift-metrics can be
/// bootstrapped once per process, so every application in it shares this one.
public enum GuatanMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// Health, metrics and the API's own description.
struct OperationsRoutes {
    let openAPIDocument: ByteBuffer?

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(staticString: #"{"status":"ok"}"#)))
        }
        routes.get("/metrics") { _, _ in
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
