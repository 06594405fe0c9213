import Hummingbird

/// Registers routes and remembers them, so tests can check that the OpenAPI document
/// describes exactly what is served.
final class RouteTable<Context: RequestContext> {
    let router: Router<Context>
    private(set) var routes: [(method: HTTPRequest.Method, path: String)] = []

    init(router: Router<Context>) {
        self.router = router
    }

    func get(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        routes.append((.get, path))
        router.get(RouterPath(path), use: handler)
    }
}
