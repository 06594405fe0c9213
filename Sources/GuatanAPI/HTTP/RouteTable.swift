import Hummingbird
import Synchronization

/// Registers routes and remembers them, so tests can check that the OpenAPI document
/// describes exactly what is served, and so a wrong method gets 405 rather than 404.
final class RouteTable<Context: RequestContext> {
    let router: Router<Context>
    let patterns: RoutePatterns
    private(set) var routes: [(method: HTTPRequest.Method, path: String)] = []

    init(router: Router<Context>, patterns: RoutePatterns) {
        self.router = router
        self.patterns = patterns
    }

    func get(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        add(.get, path, use: handler)
    }

    func post(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        add(.post, path, use: handler)
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        routes.append((method, path))
        patterns.add(path, method: method)
        router.on(RouterPath(path), method: method, use: handler)
    }
}

/// The path patterns served and their methods, readable from middleware.
final class RoutePatterns: Sendable {
    private let entries = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    func add(_ path: String, method: HTTPRequest.Method) {
        let segments = path.split(separator: "/")
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.segments == segments }) {
                entries[index].methods.insert(method)
            } else {
                entries.append((segments, [method]))
            }
        }
    }

    /// The methods served at a concrete path (`{name}` segments match anything).
    func methods(for path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/")
        return entries.withLock { entries in
            var methods = Set<HTTPRequest.Method>()
            for entry in entries where entry.segments.count == segments.count {
                let matches = zip(entry.segments, segments).allSatisfy { pattern, actual in
                    pattern.first == "{" || pattern == actual
                }
                if matches { methods.formUnion(entry.methods) }
            }
            return methods
        }
    }
}
