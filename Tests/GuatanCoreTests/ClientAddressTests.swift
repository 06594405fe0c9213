import GuatanCore
import Testing

@Suite("Client addresses behind proxies")
struct ClientAddressTests {
    let proxies = TrustedProxies([AddressRange("127.0.0.1")!, AddressRange("10.0.0.0/8")!, AddressRange("fd00::/8")!])

    @Test("addresses parse in the forms proxies write them; mapped IPv4 reads as IPv4")
    func parsing() {
        #expect(IPAddress("203.0.113.7")?.description == "203.0.113.7")
        #expect(IPAddress(" 203.0.113.7:51234 ")?.description == "203.0.113.7")
        #expect(IPAddress("::ffff:203.0.113.7")?.description == "203.0.113.7")
        #expect(IPAddress("[2001:db8::1]:443")?.description == "2001:db8::1")
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        for bad in ["", "unknown", "300.1.1.1", "1.2.3", "2001:db8::1::2", "example.com"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("ranges contain what their prefix covers and nothing else")
    func ranges() {
        let range = AddressRange("10.1.2.3/16")!
        #expect(range.description == "10.1.0.0/16")
        #expect(range.contains(IPAddress("10.1.255.255")!))
        #expect(!range.contains(IPAddress("10.2.0.1")!))
        #expect(!range.contains(IPAddress("::ffff:10.2.0.1")!))
        #expect(AddressRange("2001:db8::/32")!.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!AddressRange("2001:db8::/32")!.contains(IPAddress("10.1.0.1")!))
        #expect(AddressRange("10.0.0.0/33") == nil)
        #expect(AddressRange("10.0.0.0/x") == nil)
        #expect(AddressRange("proxy.local") == nil)
        #expect(AddressRange("0.0.0.0/0")!.contains(IPAddress("198.51.100.1")!))
    }

    @Test("an IPv6 client is one client for its whole /64; IPv4 by its address")
    func limitKeys() {
        let a = IPAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd")!
        let b = IPAddress("2001:db8:1:2::1")!
        let other = IPAddress("2001:db8:1:3::1")!
        #expect(a.limitKey == "2001:db8:1:2::/64")
        #expect(a.limitKey == b.limitKey)
        #expect(a.limitKey != other.limitKey)
        #expect(IPAddress("203.0.113.7")!.limitKey == "203.0.113.7")
    }

    @Test("from a peer that is not trusted the forwarding headers change nothing")
    func untrustedPeer() {
        let peer = IPAddress("198.51.100.9")!
        #expect(proxies.client(peer: peer, forwardedFor: ["203.0.113.1"]) == peer)
        #expect(proxies.forwardedScheme(peer: peer, header: "https") == nil)
        #expect(TrustedProxies().client(peer: IPAddress("127.0.0.1"), forwardedFor: ["203.0.113.1"]) == IPAddress("127.0.0.1"))
    }

    @Test("from a trusted proxy the right-most address that is not a proxy is the client")
    func trustedChain() {
        let proxy = IPAddress("127.0.0.1")!
        // The client forged the left-most entry; nginx appended the real one.
        #expect(proxies.client(peer: proxy, forwardedFor: ["1.1.1.1, 203.0.113.5"])?.description == "203.0.113.5")
        // Two proxies: the inner one's entry is skipped.
        #expect(proxies.client(peer: proxy, forwardedFor: ["1.1.1.1", "203.0.113.5, 10.0.0.4"])?.description == "203.0.113.5")
        #expect(proxies.client(peer: proxy, forwardedFor: ["2001:db8::7"])?.description == "2001:db8::7")
        // Nothing forwarded, only proxies, or garbage: the nearest proxy is what is known.
        #expect(proxies.client(peer: proxy, forwardedFor: []) == proxy)
        #expect(proxies.client(peer: proxy, forwardedFor: ["10.0.0.4"])?.description == "10.0.0.4")
        #expect(proxies.client(peer: proxy, forwardedFor: ["203.0.113.5, nonsense"]) == proxy)
        #expect(proxies.forwardedScheme(peer: proxy, header: "HTTPS") == "https")
        #expect(proxies.forwardedScheme(peer: proxy, header: "https, http") == "https")
        #expect(proxies.forwardedScheme(peer: proxy, header: "gopher") == nil)
    }
}
