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
    /// The peer's IP address, for per-address limits; "unknown" when the transport has none.
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
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
