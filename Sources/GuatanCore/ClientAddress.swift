import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IP address as its bytes: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6 address
/// (`::ffff:1.2.3.4`, what a dual-stack socket reports) is read as the IPv4 address it carries.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        var text = String(text).trimmingCharacters(in: .whitespaces)
        // "[2001:db8::1]:443" and "[2001:db8::1]" as proxies write them.
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<close])
        }
        // An IPv6 zone ("fe80::1%eth0") names the interface, not the address.
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        // "1.2.3.4:5678": an IPv4 address with its port.
        if let colon = text.firstIndex(of: ":"), text.filter({ $0 == ":" }).count == 1,
            inet_pton(AF_INET, String(text[..<colon]), &v4) == 1
        {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            self.bytes = Array(bytes[12..<16])
        } else {
            self.bytes = bytes
        }
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isIPv6: Bool { bytes.count == 16 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv6 ? AF_INET6 : AF_INET
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What per-address limits count: an IPv4 address itself, an IPv6 address by its /64.
    /// One phone or household is handed a whole /64, so counting single IPv6 addresses would
    /// let one client step around every limit by changing the last 64 bits.
    public var limitKey: String {
        guard isIPv6 else { return description }
        return IPAddress(bytes: Array(bytes[0..<8]) + Array(repeating: 0, count: 8)).description + "/64"
    }

    /// The first `length` bits, the rest cleared.
    func masked(to length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsLeft = length - index * 8
            if bitsLeft >= 8 { return byte }
            if bitsLeft <= 0 { return 0 }
            return byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bitsLeft))
        }
    }
}

/// A range of addresses in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is
/// a range of one.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...bits).contains(given) else { return nil }
            length = given
        }
        self.network = IPAddress(bytes: address.masked(to: length))
        self.prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && address.masked(to: prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

/// The reverse proxies in front of the service (`--trusted-proxy`). Only a peer in one of
/// these ranges is believed about the client it forwards for; from anyone else the
/// forwarding headers are ignored, so forging them changes nothing.
public struct TrustedProxies: Sendable, Hashable {
    public let ranges: [AddressRange]

    public init(_ ranges: [AddressRange] = []) {
        self.ranges = ranges
    }

    public func trusts(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The client a request comes from: the peer itself, unless the peer is a trusted proxy;
    /// then the right-most address of `X-Forwarded-For` that is not a trusted proxy (each
    /// proxy appends the address it was reached from, so everything left of that is the
    /// client's own word). `forwardedFor` holds the header's values in the order received.
    public func client(peer: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard let peer, trusts(peer) else { return peer }
        var nearest = peer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        for hop in hops.reversed() {
            // A hop that is not an address ends what can be believed: the last proxy's word stands.
            guard let address = IPAddress(hop) else { return nearest }
            guard trusts(address) else { return address }
            nearest = address
        }
        return nearest
    }

    /// Whether the client reached the first proxy over HTTPS, as a trusted peer says
    /// (`X-Forwarded-Proto`); nil when the peer is not trusted or says nothing usable.
    public func forwardedScheme(peer: IPAddress?, header: String?) -> String? {
        guard let peer, trusts(peer), let header else { return nil }
        // Several proxies may each append theirs: the left-most is the client's own connection.
        let first = header.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return first == "https" || first == "http" ? first : nil
    }
}
