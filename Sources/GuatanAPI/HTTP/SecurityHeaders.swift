import Foundation
import HTTPTypes
import Hummingbird

/// The headers every answer carries, and the check that keeps other sites from posting the
/// service's forms from their visitors' browsers.
///
/// Pages load only their own scripts and styles (no inline script or style attribute), images
/// from here and the configured tile host, and may not be framed by anyone (clickjacking on an
/// officer's revoke or suspend). The tracking page and the tracking API send no referrer, so a
/// tracking code in `track.html?code=` never leaves in a `Referer`.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GuatanRequestContext

    let pagePolicy: String
    /// JSON, SVG and CSV answers load nothing at all.
    static let dataPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    init(tileURL: String?) {
        var images = ["'self'", "data:", "blob:"]
        if let tiles = tileURL.flatMap(Self.origin(ofTemplate:)) { images.append(tiles) }
        pagePolicy = [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src \(images.joined(separator: " "))",
            "connect-src 'self'", "font-src 'self'", "media-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
            "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// `https://{s}.tiles.example.cn/{z}/{x}/{y}.png` → `https://*.tiles.example.cn`.
    static func origin(ofTemplate template: String) -> String? {
        guard let schemeEnd = template.range(of: "://") else { return nil }
        let scheme = template[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        let rest = template[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" }
        guard !host.isEmpty else { return nil }
        let wildcarded = host.replacingOccurrences(of: "{s}", with: "*")
        guard wildcarded.allSatisfy({ $0.isLetter || $0.isNumber || ".-:*[]".contains($0) }) else { return nil }
        return "\(scheme)://\(wildcarded)"
    }

    static let unsafeMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if let refusal = Self.crossSiteRefusal(request, context: context) {
            response = try refusal.response(from: request, context: context)
        } else {
            response = try await next(request, context)
        }
        let path = request.uri.path
        var headers = response.headers
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        if headers[.contentSecurityPolicy] == nil {
            let type = headers[.contentType] ?? ""
            headers[.contentSecurityPolicy] = type.hasPrefix("text/html") ? pagePolicy : Self.dataPolicy
        }
        let carriesTrackingCode =
            path == "/track.html" || path == "/track" || path.hasPrefix("/api/v1/reports/track/")
            || path.hasPrefix("/open311/v2/tokens/")
        headers[.referrerPolicy] = carriesTrackingCode ? "no-referrer" : "strict-origin-when-cross-origin"
        headers[.permissionsPolicy] = "geolocation=(self), camera=(self), microphone=(self), payment=()"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        response.headers = headers
        return response
    }

    /// A state-changing request without a bearer token (one a browser could be made to send by
    /// another site: the report form, rating, sign-in) is refused when the browser says it comes
    /// from another site. Clients that are not browsers send neither header and go on; Open311
    /// is for other sites by design and carries its own key.
    static func crossSiteRefusal(_ request: Request, context: Context) -> APIError? {
        guard unsafeMethods.contains(request.method), request.headers[.authorization] == nil,
            !request.uri.path.hasPrefix("/open311/")
        else { return nil }
        let refusal = APIError(.forbidden, code: "FORBIDDEN", message: "this form may only be sent from Guatan's own pages")
        if let site = request.headers[.secFetchSite]?.lowercased() {
            return site == "same-origin" || site == "none" ? nil : refusal
        }
        if let origin = request.headers[.origin]?.lowercased() {
            let ours = context.origin(of: request).lowercased()
            let host = "\(context.scheme)://\(request.head.authority ?? "")".lowercased()
            return origin == ours || origin == host ? nil : refusal
        }
        return nil
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
