import Foundation
import Testing

@testable import GuatanCore

@Suite("The draw by lot (guatan-draw-v1): deterministic, committed to before the list is known, re-run by anyone")
struct DrawTests {
    static let seed = String(repeating: "5a", count: 32)
    static var commitment: String { Draw.commitment(of: Data(hex: seed)!) }

    static let sites = [
        Draw.SiteSlots(siteId: "CG-001", slots: ["CG-001-01", "CG-001-02"]),
        Draw.SiteSlots(siteId: "CG-002", slots: ["CG-002-01"]),
    ]

    static func entry(_ number: String, tier: Int = 3, _ preferences: [String], renewal: String? = nil) -> Draw.Entry {
        Draw.Entry(applicationNo: number, holderMasked: "张*", tier: tier, preferences: preferences, renewalSlot: renewal)
    }

    @Test("the lot is HMAC-SHA256 of the application number keyed by the seed (RFC 4231's first vector), and the commitment its SHA-256")
    func primitives() {
        // RFC 4231, test case 1: key 0x0b × 20, data "Hi There".
        #expect(
            Draw.lot(seed: Data(repeating: 0x0b, count: 20), applicationNo: "Hi There")
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Draw.commitment(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Data(hex: "0aFf") == Data([0x0a, 0xff]))
        #expect(Data(hex: "0g") == nil && Data(hex: "abc") == nil)
    }

    @Test("a seed that does not hash to the commitment published before is refused")
    func commitmentHolds() {
        #expect(throws: Draw.DrawError.seedDoesNotMatchCommitment) {
            try Draw.run(seedHex: String(repeating: "00", count: 32), commitment: Self.commitment, sites: Self.sites, applications: [])
        }
        #expect(throws: Draw.DrawError.badSeed) {
            try Draw.run(seedHex: "not hex", commitment: Self.commitment, sites: Self.sites, applications: [])
        }
    }

    @Test("renewals keep their slot, priority households come before everyone else, preferences in order, the rest wait in drawn order")
    func tiersAndPreferences() throws {
        let applications = [
            Self.entry("A-1", ["CG-001", "CG-002"]),
            Self.entry("A-2", ["CG-001"]),
            Self.entry("A-3", tier: 2, ["CG-002", "CG-001"]),
            Self.entry("A-4", tier: 1, ["CG-001"], renewal: "CG-001-02"),
            Self.entry("A-5", ["CG-002"]),
        ]
        let result = try Draw.run(seedHex: Self.seed, commitment: Self.commitment, sites: Self.sites, applications: applications)
        let holder = Dictionary(uniqueKeysWithValues: result.allocation.map { ($0.slotId, $0.applicationNo) })
        #expect(holder["CG-001-02"] == "A-4", "the renewal keeps his slot")
        #expect(holder["CG-002-01"] == "A-3", "the priority household gets its first choice before tier 3")
        #expect(result.allocation.count == 3)
        // Tier 3 drew for the one slot left (CG-001-01): the one not allocated waits at the sites he named.
        let winner = try #require(holder["CG-001-01"])
        #expect(["A-1", "A-2"].contains(winner))
        let waiting = result.waitlists.values.flatMap { $0 }
        #expect(!waiting.contains(winner) && !waiting.contains("A-3") && !waiting.contains("A-4"))
        #expect(result.waitlists["CG-002"]?.contains("A-5") == true)
    }

    @Test("the same seed and list give the same result whatever the list's order; another seed, another order")
    func deterministic() throws {
        let applications = (1...200).map { Self.entry(String(format: "A2027-%06d", $0), ["CG-001", "CG-002"]) }
        let once = try Draw.run(seedHex: Self.seed, commitment: Self.commitment, sites: Self.sites, applications: applications)
        let again = try Draw.run(seedHex: Self.seed, commitment: Self.commitment, sites: Self.sites, applications: applications.reversed())
        #expect(once == again)
        let other = Draw.newSeed()
        #expect(other.seed.count == 64 && other.commitment == Draw.commitment(of: Data(hex: other.seed)!))
        let elsewhere = try Draw.run(seedHex: other.seed, commitment: other.commitment, sites: Self.sites, applications: applications)
        #expect(elsewhere.waitlists["CG-001"] != once.waitlists["CG-001"])
    }

    @Test("the first of a district's waiting in drawn order is the one the draw would have put first")
    func firstInDrawnOrder() throws {
        let candidates = (1...40).map { (applicationNo: String(format: "A2027-%06d", $0), tier: $0 % 7 == 0 ? 2 : 3) }
        let first = try #require(Draw.first(of: candidates, seedHex: Self.seed))
        let sites = [Draw.SiteSlots(siteId: "S", slots: ["S-01"])]
        let entries = candidates.map { Self.entry($0.applicationNo, tier: $0.tier, ["S"]) }
        let drawn = try Draw.run(seedHex: Self.seed, commitment: Self.commitment, sites: sites, applications: entries)
        #expect(drawn.allocation.map(\.applicationNo) == [first])
        #expect(Draw.first(of: [], seedHex: Self.seed) == nil && Draw.first(of: candidates, seedHex: "zz") == nil)
    }

    @Test("the file written by hand is byte for byte what Foundation's sorted-keys encoder writes, escapes and all")
    func fileBytes() throws {
        var applications = (1...50).map { Self.entry(String(format: "A2027-%06d", $0), ["CG-001", "CG-002"]) }
        applications[3].holderMasked = "王\"*\\\n\t\u{01}/é"
        applications[7].renewalSlot = "CG-001-01"
        applications[7].tier = 1
        var file = Draw.Published(
            season: 2027, commitment: Self.commitment, sites: Self.sites, applications: applications, excluded: ["A2027-000009"])
        let reference = JSONEncoder()
        reference.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try file.encoded() == reference.encode(file), "the list as published")
        file.seed = Self.seed
        file.results = try file.run()
        #expect(try file.encoded() == reference.encode(file), "the list drawn, with results and waitlists")
        #expect(try Draw.Published.decode(file.encoded()) == file)
    }

    @Test("tools/verify_draw.py re-runs the draw from the published file alone and finds these results; altered results it refuses")
    func pythonVerifierAgrees() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sites = (1...30).map { site in
            Draw.SiteSlots(siteId: String(format: "CG-%03d", site), slots: (1...(site % 4 + 1)).map { String(format: "CG-%03d-%02d", site, $0) })
        }
        var random = SystemRandomNumberGenerator()
        let applications = (1...400).map { number in
            Draw.Entry(
                applicationNo: String(format: "A2027-%06d", number), holderMasked: "李*", tier: [1, 2, 3, 3, 3].randomElement(using: &random)!,
                preferences: (0..<3).map { _ in sites.randomElement(using: &random)!.siteId },
                renewalSlot: number % 17 == 0 ? sites.randomElement(using: &random)!.slots[0] : nil)
        }
        let (seed, commitment) = Draw.newSeed()
        let results = try Draw.run(seedHex: seed, commitment: commitment, sites: sites, applications: applications)
        #expect(results.allocation.count == sites.reduce(0) { $0 + $1.slots.count }, "oversubscribed: every slot is taken")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("draw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        func verify(_ results: Draw.Result) throws -> Int32 {
            let file = folder.appendingPathComponent("draw.json")
            try Draw.Published(season: 2027, commitment: commitment, seed: seed, sites: sites, applications: applications, results: results)
                .encoded().write(to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", root.appendingPathComponent("tools/verify_draw.py").path, file.path, "--check"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try verify(results) == 0)
        var altered = results
        altered.allocation.swapAt(0, 1)
        let first = altered.allocation[0].slotId
        altered.allocation[0].slotId = altered.allocation[1].slotId
        altered.allocation[1].slotId = first
        #expect(try verify(altered) == 1, "two holders swapped: the verifier says so")
    }
}

@Suite("The season's phases and the draw's tiers")
struct SeasonPhaseTests {
    @Test("a season moves one phase at a time, forward only, from planning to closed")
    func phases() {
        var phase = SeasonPhase.planning
        var seen = [phase]
        while let next = phase.next {
            #expect(phase.canMove(to: next))
            #expect(!next.canMove(to: phase), "\(next) cannot go back to \(phase)")
            phase = next
            seen.append(phase)
        }
        #expect(seen == SeasonPhase.allCases && phase == .closed)
        #expect(!SeasonPhase.planning.canMove(to: .drawn), "no phase is skipped")
        #expect(SeasonPhase(rawValue: "applications_open") == .applicationsOpen)
    }

    @Test(
        "renewal needs good standing and the asking; a verified household comes next",
        arguments: [
            (true, DrawTier.LastSeason(revoked: false, monthsAtZeroPoints: 0, checkInShare: 0.8), false, DrawTier.renewal),
            (true, DrawTier.LastSeason(revoked: true, monthsAtZeroPoints: 0, checkInShare: 0.9), false, .general),
            (true, DrawTier.LastSeason(revoked: false, monthsAtZeroPoints: 1, checkInShare: 0.9), true, .priority),
            (true, DrawTier.LastSeason(revoked: false, monthsAtZeroPoints: 0, checkInShare: 0.5), false, .general),
            (false, DrawTier.LastSeason(revoked: false, monthsAtZeroPoints: 0, checkInShare: 1), false, .general),
        ])
    func tiers(asks: Bool, last: DrawTier.LastSeason, priority: Bool, expected: DrawTier) {
        #expect(DrawTier.of(asksRenewal: asks, lastSeason: last, minimumShare: 0.6, priorityVerified: priority) == expected)
    }
}
