import Foundation
import GuatanCore
import Hummingbird

/// The context every Guatan request carries: who is signed in (set by the authentication
/// middleware) and where the request came from. Responses use snake_case field names.
public struct GuatanRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in account; nil for citizens.
    public var account: Account?
    /// The bearer token's hash, kept so logout can end this very session.
    var sessionTokenHash: String?
    /// The connection's peer: the client itself, or a proxy in front of the service.
    let peerAddress: IPAddress?
    /// The client: the peer, or behind a trusted proxy the one it forwards for
    /// (`ClientOriginMiddleware`); nil when the transport has no address.
    var client: IPAddress?
    /// The client's IP address as logged; "unknown" when the transport has none. Made when
    /// asked, not for every request.
    public var clientAddress: String { client?.description ?? "unknown" }
    /// What per-address limits count by: the client's address, an IPv6 client by its /64.
    public var limitKey: String { client?.limitKey ?? "unknown" }
    /// `https` when the client's connection is encrypted (here, or at a trusted proxy).
    public internal(set) var scheme = "http"

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        let peer = source.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        self.peerAddress = peer
        self.client = peer
    }

    /// The service's public address (`--public-url`), when the deployment names one.
    var publicOrigin: String?

    /// The address links in answers start with: the public address when set, otherwise the
    /// one the client used to reach the service, such as `https://guatan.example.cn`.
    func origin(of request: Request) -> String {
        publicOrigin ?? "\(scheme)://\(request.head.authority ?? "127.0.0.1")"
    }

    /// The account if it has one of `roles`: 401 when nobody is signed in, 403 otherwise.
    func require(_ roles: Role...) throws -> Account {
        try Access.require(account, roles: Set(roles))
    }

    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    public var responseEncoder: JSONEncoder { APIJSON.encoder() }
}

enum APIJSON {
    static let contentType = "application/json; charset=utf-8"

    /// Field names in snake_case; keys sorted so equal data always gives equal bytes (and ETags).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder().encode(value)
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
