import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Where the service's certificate and key live (`--tls-cert`, `--tls-key`: PEM files, the
/// certificate file holding the whole chain, as certbot's `fullchain.pem` does).
public struct TLSFiles: Sendable, Hashable {
    public var certificate: String
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}

/// Why the certificate or key cannot be used, in one line an operator can act on.
public struct TLSSetupError: Error, CustomStringConvertible {
    public let description: String
}

/// The certificate and key the service presents, swapped in place when they are renewed
/// (`kill -HUP`): every new handshake takes the current pair through NIOSSL's context
/// callback, while connections already open go on with the pair they started with.
public final class CertificateStore: Sendable {
    public let files: TLSFiles
    private let current: Mutex<Loaded>

    struct Loaded: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let notValidAfter: Date
    }

    /// Loads and checks the pair; throws `TLSSetupError` when it cannot serve.
    public init(files: TLSFiles, now: Date = Date()) throws {
        self.files = files
        self.current = Mutex(try Self.load(files, now: now))
    }

    /// Reads the files again. A pair that does not hold together leaves the one in use in place.
    @discardableResult
    public func reload(now: Date = Date()) throws -> Date {
        let loaded = try Self.load(files, now: now)
        current.withLock { $0 = loaded }
        return loaded.notValidAfter
    }

    public var notValidAfter: Date { current.withLock { $0.notValidAfter } }

    /// TLS 1.2 and later, HTTP/2 offered by ALPN (added by Hummingbird's HTTP/2 channel).
    public func serverConfiguration() -> TLSConfiguration {
        let loaded = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: loaded.chain.map { .certificate($0) }, privateKey: .privateKey(loaded.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { _, promise in
            let pair = self.current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }

    static func load(_ files: TLSFiles, now: Date) throws -> Loaded {
        for (what, path) in [("certificate", files.certificate), ("key", files.key)] {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TLSSetupError(description: "the TLS \(what) file \(path) does not exist")
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TLSSetupError(description: "the TLS \(what) file \(path) cannot be read by this user")
            }
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw TLSSetupError(description: "the TLS certificate file \(files.certificate) holds no valid PEM certificate (\(error))")
        }
        guard let leaf = chain.first else {
            throw TLSSetupError(description: "the TLS certificate file \(files.certificate) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw TLSSetupError(description: "the TLS key file \(files.key) holds no valid PEM private key (\(error))")
        }
        let notValidAfter = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        let notValidBefore = Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore))
        guard notValidAfter > now else {
            throw TLSSetupError(
                description: "the TLS certificate \(files.certificate) expired on \(ISO8601DateFormatter().string(from: notValidAfter)); renew it")
        }
        guard notValidBefore <= now else {
            throw TLSSetupError(
                description: "the TLS certificate \(files.certificate) is not valid before \(ISO8601DateFormatter().string(from: notValidBefore))")
        }
        // BoringSSL checks that the key is the certificate's own when both go into a context.
        do {
            _ = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw TLSSetupError(description: "the TLS key \(files.key) does not belong to the certificate \(files.certificate)")
        }
        return Loaded(chain: chain, key: key, notValidAfter: notValidAfter)
    }
}

/// Answers plain HTTP on `--redirect-http-port` with a 308 to the HTTPS address, keeping the
/// path and query (308, unlike 301, keeps a POST a POST). Let's Encrypt's HTTP challenge
/// (`/.well-known/acme-challenge/`) is served from a folder so certbot can renew in place.
public struct HTTPSRedirect: Sendable {
    /// Where to send clients: `https://host[:port]`, or the public HTTPS URL when set.
    let publicHTTPSURL: String?
    let httpsPort: Int
    let acmeDirectory: URL?

    public init(publicURL: String?, httpsPort: Int, acmeDirectory: URL?) {
        self.publicHTTPSURL = publicURL.flatMap {
            $0.hasPrefix("https://") ? String($0.trimmingCharacters(in: CharacterSet(charactersIn: "/"))) : nil
        }
        self.httpsPort = httpsPort
        self.acmeDirectory = acmeDirectory
    }

    func target(for request: Request) -> String {
        let path = request.uri.path.isEmpty ? "/" : request.uri.path
        let query = request.uri.query.map { "?" + $0 } ?? ""
        if let publicHTTPSURL { return publicHTTPSURL + path + query }
        var host = request.head.authority ?? "localhost"
        // Drop the plain port; an IPv6 literal keeps its brackets.
        if let close = host.lastIndex(of: "]") {
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return "https://" + host + (httpsPort == 443 ? "" : ":\(httpsPort)") + path + query
    }

    public func router(logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        if let acmeDirectory {
            router.add(
                middleware: FileMiddleware(acmeDirectory.path, urlBasePath: "/.well-known/acme-challenge", searchForIndexHtml: false, logger: logger))
        }
        router.add(middleware: RedirectMiddleware(redirect: self))
        return router
    }

    struct RedirectMiddleware: RouterMiddleware {
        typealias Context = BasicRequestContext
        let redirect: HTTPSRedirect

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            if request.uri.path.hasPrefix("/.well-known/acme-challenge/"), redirect.acmeDirectory != nil {
                if let response = try? await next(request, context) { return response }
            }
            return Response(
                status: .permanentRedirect,
                headers: [.location: redirect.target(for: request), .cacheControl: "no-store", .contentLength: "0"])
        }
    }
}

/// Reloads the certificate on SIGHUP (what `systemctl reload guatan` and certbot's deploy
/// hook send). A renewed pair that does not hold together is refused and the old one kept.
public struct CertificateReloader: Service {
    let store: CertificateStore?
    let logger: Logger

    public init(store: CertificateStore?, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            guard let store else {
                logger.notice("SIGHUP: no TLS certificate to reload (the service was started without --tls-cert)")
                continue
            }
            do {
                let until = try store.reload()
                logger.notice(
                    "TLS certificate reloaded",
                    metadata: ["certificate": "\(store.files.certificate)", "valid_until": "\(ISO8601DateFormatter().string(from: until))"])
            } catch {
                logger.error("TLS certificate not reloaded; the one in use stays: \(error)")
            }
        }
    }
}
