import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import Logging

/// An error as the API reports it: a status and `{"error": {"code", "message", "field"}}`.
/// Every other error is mapped to one of these in `ErrorMiddleware`, and only there.
public struct APIError: Error, Sendable, HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    public let extraHeaders: HTTPFields
    /// Figures a page needs to explain the error in its own words (a check-in's distance, hours).
    public let details: [String: Detail]?

    public init(
        _ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:],
        details: [String: Detail]? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extraHeaders = headers
        self.details = details
    }

    public enum Detail: Sendable, Encodable {
        case number(Double)
        case text(String)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value): try container.encode(value)
            case .text(let value): try container.encode(value)
            }
        }
    }

    public static func validation(_ message: String, field: String?) -> APIError {
        APIError(.badRequest, code: "VALIDATION_FAILED", message: message, field: field)
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "NOT_FOUND", message: message)
    }

    struct Body: Encodable {
        struct Content: Encodable {
            let code: String
            let message: String
            let field: String?
            let details: [String: Detail]?
        }
        let error: Content
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message, field: field, details: details))
        let data = (try? APIJSON.encoder().encode(body)) ?? Data("{\"error\":{\"code\":\"\(code)\"}}".utf8)
        var headers = extraHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns whatever a route or the router throws into the documented error format.
/// Bad input never becomes a 500; a real failure is a 500 that is logged loudly.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let patterns: RoutePatterns

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = Self.map(error)
            // The router says 404 when only the method is wrong: say 405 and what is allowed.
            if apiError.status == .notFound, error is HTTPError {
                var allowed = patterns.methods(for: request.uri.path)
                if allowed.contains(.get) { allowed.insert(.head) }
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    apiError = APIError(
                        .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "\(request.method) is not allowed here; use \(allow)",
                        headers: [.allow: allow])
                }
            }
            switch apiError.status {
            case .tooManyRequests:
                GuatanMetrics.refused(status: 429, reason: context.endpointPath ?? "unmatched").increment()
            case .serviceUnavailable:
                GuatanMetrics.refused(status: 503, reason: StoreError.unavailableKind(of: error)?.label ?? "other").increment()
            default:
                break
            }
            if apiError.status == .serviceUnavailable {
                context.logger.warning(
                    "write refused: store unavailable",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))",
                    ])
            } else if apiError.status.code >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))",
                    ])
            }
            return try apiError.response(from: request, context: context)
        }
    }

    static func map(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return .validation(error.message, field: error.field)
        case let error as ValidationErrors:
            let first = error.errors.first
            return .validation(error.errors.map(\.message).joined(separator: "; "), field: first?.field)
        case AccessError.unauthenticated:
            return APIError(
                .unauthorized, code: "UNAUTHENTICATED", message: "sign in first: send Authorization: Bearer <token>",
                headers: [.wwwAuthenticate: "Bearer"])
        case AccessError.forbidden(let reason):
            return APIError(.forbidden, code: "FORBIDDEN", message: reason)
        case PermitError.forbidden(let reason):
            return APIError(.forbidden, code: "FORBIDDEN", message: reason)
        case PermitError.conflict(let reason):
            return APIError(.conflict, code: "CONFLICT", message: reason)
        case PermitError.invalid(let error):
            return .validation(error.message, field: error.field)
        case ReportError.forbidden(let reason):
            return APIError(.forbidden, code: "FORBIDDEN", message: reason)
        case ReportError.conflict(let reason):
            return APIError(.conflict, code: "CONFLICT", message: reason)
        case ReportError.invalid(let error):
            return .validation(error.message, field: error.field)
        case AllocationError.forbidden(let reason):
            return APIError(.forbidden, code: "FORBIDDEN", message: reason)
        case AllocationError.conflict(let code, let message, let details):
            return APIError(.conflict, code: code, message: message, details: details.isEmpty ? nil : details.mapValues { .text($0) })
        case AllocationError.invalid(let error):
            return .validation(error.message, field: error.field)
        case StoreError.conflict(let reason):
            return APIError(.conflict, code: "CONFLICT", message: reason)
        case StoreError.notFound(let reason):
            return .notFound(reason)
        case is BcryptPool.Busy:
            return APIError(
                .tooManyRequests, code: "RATE_LIMITED", message: "the server is busy checking passwords; try again in a moment",
                headers: [.retryAfter: "2"])
        case let error as DecodingError:
            return .validation(describe(error), field: decodingField(error))
        case let error as any HTTPResponseError:
            return fromStatus(error.status, message: (error as? HTTPError)?.body)
        default:
            if let reason = StoreError.unavailability(of: error) {
                // A full disk or a read-only database: writes wait, reads go on.
                return APIError(
                    .serviceUnavailable, code: "UNAVAILABLE", message: "\(reason); nothing was changed, try again later",
                    headers: [.retryAfter: "30"])
            }
            return APIError(.internalServerError, code: "INTERNAL", message: "the server could not complete the request")
        }
    }

    static func fromStatus(_ status: HTTPResponse.Status, message: String?) -> APIError {
        switch status.code {
        case 400: return .validation(message ?? "the request is malformed", field: nil)
        case 401: return APIError(status, code: "UNAUTHENTICATED", message: message ?? "a valid token is required")
        case 403: return APIError(status, code: "FORBIDDEN", message: message ?? "not allowed")
        case 404: return .notFound(message ?? "no such resource")
        case 405: return APIError(status, code: "METHOD_NOT_ALLOWED", message: message ?? "method not allowed here")
        case 409: return APIError(status, code: "CONFLICT", message: message ?? "the resource's state does not allow this")
        case 413: return APIError(status, code: "TOO_LARGE", message: message ?? "the request body is too large")
        case 415: return APIError(status, code: "UNSUPPORTED_MEDIA_TYPE", message: message ?? "unsupported media type")
        case 429: return APIError(status, code: "RATE_LIMITED", message: message ?? "too many requests")
        case 400..<500: return APIError(status, code: "BAD_REQUEST", message: message ?? status.reasonPhrase)
        default: return APIError(.internalServerError, code: "INTERNAL", message: "the server could not complete the request")
        }
    }

    private static func decodingField(_ error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return nil
        }
        // Keys are decoded from snake_case: name the field as the client wrote it.
        let names = path.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }
        return names.isEmpty ? nil : names.joined(separator: ".")
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case .typeMismatch(let type, _): "wrong type, expected \(type)"
        case .valueNotFound(let type, _): "missing value, expected \(type)"
        case .dataCorrupted(let context): context.debugDescription.isEmpty ? "malformed JSON" : context.debugDescription
        @unknown default: "malformed request body"
        }
    }
}
