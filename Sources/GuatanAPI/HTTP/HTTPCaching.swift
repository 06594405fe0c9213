import Hummingbird

/// Content negotiation and conditional requests, shared by every cached representation.
enum HTTPCaching {
    /// Whether `Accept-Encoding` allows gzip (RFC 9110 §12.5.3: `q=0` refuses it).
    static func acceptsGzip(_ request: Request) -> Bool {
        guard let header = request.headers[.acceptEncoding] else { return false }
        var gzip: Double?
        var wildcard: Double?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = pieces.first else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" { gzip = quality }
            if coding == "*" { wildcard = quality }
        }
        return (gzip ?? wildcard ?? 0) > 0
    }

    /// Whether `If-None-Match` names one of `etags` (weak comparison, as RFC 9110 §13.1.2 says).
    static func matches(_ request: Request, etags: [String]) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        let candidates = header.split(separator: ",").map { tag -> String in
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed
        }
        return candidates.contains("*") || candidates.contains { etags.contains($0) }
    }

    /// A cached body as the client asked for it: 304, gzip or plain.
    static func respond(
        to request: Request, plain: @autoclosure () -> ByteBuffer, gzip: ByteBuffer?, etag: String, gzipEtag: String,
        contentType: String, cacheControl: String
    ) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType,
            .cacheControl: cacheControl,
            .vary: "Accept-Encoding",
        ]
        let useGzip = gzip != nil && acceptsGzip(request)
        headers[.eTag] = useGzip ? gzipEtag : etag
        if matches(request, etags: [etag, gzipEtag]) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        if useGzip, let gzip {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzip))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: plain()))
    }
}
