import Foundation
import Hummingbird

/// Reads a JSON request body: 415 unless it is JSON, 413 past `limit`, 400 when malformed.
enum JSONBody {
    static let defaultLimit = 64 * 1024

    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: GuatanRequestContext, limit: Int = defaultLimit
    ) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "send the body as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "TOO_LARGE", message: "the body must be at most \(limit / 1024) KB")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw error
        } catch {
            throw APIError.validation("the body is not valid JSON", field: nil)
        }
    }
}
