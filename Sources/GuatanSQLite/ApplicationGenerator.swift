import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

/// What `generate-season --applications YEAR` wrote.
public struct GeneratedApplications: Sendable {
    public var applications = 0
    public var renewals = 0
    public var newVendors = 0
    public var slots = 0
    /// Sites with more applicants naming them first than slots.
    public var oversubscribedSites = 0
}

extension GuatanDatabase {
    /// The next season's applications after a generated one, as a city's spring brings them:
    /// most of last season's holders ask to keep their stall; new farmers apply, about a third of the
    /// sites popular (3–5 applicants a slot), the rest 1½–3; each names his first
    /// choice and up to two more sites of the same district. Every application is qualified (the
    /// squads' review done), the season in `review` with its window past, ready for the list and
    /// the draw. Written in bulk, in one transaction; the same with the same random seed.
    public func generateApplications(
        season year: Int, windowOpens: LocalDate, windowCloses: LocalDate, renewalMinShare: Double, seed: UInt64, at: Date
    ) throws -> GeneratedApplications {
        var random = SeasonRandom(seed: seed &+ UInt64(year))
        var result = GeneratedApplications()
        let stamp = BusinessTime.rfc3339(at)
        try pool.write { db in
            let sites = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.site_id, s.district, COUNT(sl.slot_id) AS slots FROM season_site s
                    JOIN season_slot sl ON sl.season = s.season AND sl.site_id = s.site_id
                    WHERE s.season = ? GROUP BY s.site_id, s.district ORDER BY s.site_id
                    """, arguments: [year]
            ).map { (id: $0["site_id"] as String, district: $0["district"] as String, slots: $0["slots"] as Int) }
            result.slots = sites.reduce(0) { $0 + $1.slots }
            var sitesOfDistrict: [String: [String]] = [:]
            for site in sites { sitesOfDistrict[site.district, default: []].append(site.id) }
            let holders = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.vendor_id, p.slot_id, sl.site_id, v.name FROM permit p JOIN vendor v ON v.id = p.vendor_id
                    JOIN season_slot sl ON sl.season = ? AND sl.slot_id = p.slot_id
                    WHERE p.season = ? AND p.issued_at IS NOT NULL AND p.state IN ('issued', 'suspended', 'expired')
                    ORDER BY p.seq
                    """, arguments: [year, year - 1]
            ).map { (vendorId: $0["vendor_id"] as String, slotId: $0["slot_id"] as String, siteId: $0["site_id"] as String) }

            let insertVendor = try db.makeStatement(
                sql: """
                    INSERT INTO vendor (seq, id, name, phone, id_card_hash, id_card_last4, origin, vehicle_plate, produce_json, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let insertApplication = try db.makeStatement(
                sql: """
                    INSERT INTO application (application_no, season, vendor_id, district, state, preferences_json, renewal_slot, produce_json,
                        expected_kg, vehicle_plate, household_size, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 'qualified', ?, ?, ?, ?, ?, 1, ?, ?)
                    """)
            let insertHousehold = try db.makeStatement(
                sql: "INSERT INTO application_household (season, id_card_hash, application_no) SELECT ?, id_card_hash, ? FROM vendor WHERE id = ?")
            var number = 0
            func apply(vendorId: String, district: String, preferences: [String], renewal: String?, plate: String) throws {
                number += 1
                let applicationNo = ApplicationWorkflow.applicationNumber(season: year, sequence: number)
                try insertApplication.execute(arguments: [
                    applicationNo, year, vendorId, district, Self.json(preferences), renewal, Self.json(["白兰瓜"]),
                    Double(Int(random.uniform(200...1500))), plate, stamp, stamp,
                ])
                try insertHousehold.execute(arguments: [year, applicationNo, vendorId])
            }

            // Last season's holders: seven in ten ask to keep their stall.
            var demand: [String: Int] = [:]
            let districtOfSite = Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0.district) })
            let plates = Dictionary(
                try Row.fetchAll(db, sql: "SELECT id, vehicle_plate FROM vendor").map { ($0["id"] as String, $0["vehicle_plate"] as String) },
                uniquingKeysWith: { a, _ in a })
            for holder in holders where random.chance(0.7) {
                try apply(
                    vendorId: holder.vendorId, district: districtOfSite[holder.siteId]!, preferences: [holder.siteId], renewal: holder.slotId,
                    plate: plates[holder.vendorId] ?? "甘A00000")
                demand[holder.siteId, default: 0] += 1
                result.renewals += 1
            }
            // New farmers, site by site, as popular as the site is.
            var vendorSeq = (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM vendor") ?? 0)
            let families = Array("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
            for site in sites {
                let popular = random.chance(0.35)
                let wanted = Int((Double(site.slots) * (popular ? random.uniform(3...5) : random.uniform(1.5...3))).rounded())
                let newcomers = max(0, wanted - demand[site.id, default: 0])
                if wanted > site.slots { result.oversubscribedSites += 1 }
                let neighbours = sitesOfDistrict[site.district]!
                for _ in 0..<newcomers {
                    vendorSeq += 1
                    let vendorId = Vendor.id(sequence: Int64(vendorSeq))
                    let plate = "甘A" + String(vendorSeq, radix: 36).uppercased().leftPadded(to: 5)
                    try insertVendor.execute(arguments: [
                        vendorSeq, vendorId, String(families[vendorSeq % families.count]) + "农户", "13" + String(900_000_000 + vendorSeq),
                        "generated-\(year)-\(vendorSeq)", String(vendorSeq % 10_000).leftPadded(to: 4), "榆中县", plate,
                        Self.json(["白兰瓜"]), stamp,
                    ])
                    var preferences = [site.id]
                    for _ in 0..<Int.random(in: 0...2, using: &random) {
                        let other = neighbours[Int.random(in: 0..<neighbours.count, using: &random)]
                        if !preferences.contains(other) { preferences.append(other) }
                    }
                    try apply(vendorId: vendorId, district: site.district, preferences: preferences, renewal: nil, plate: plate)
                    result.newVendors += 1
                }
            }
            result.applications = number
            try db.execute(
                sql: """
                    UPDATE season SET phase = 'review', applications_open_on = ?, applications_close_on = ?, renewal_min_share = ? WHERE year = ?
                    """, arguments: [windowOpens.description, windowCloses.description, renewalMinShare, year])
            try db.execute(
                sql: "INSERT INTO number_sequence (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                arguments: ["application/\(year)", number])
            try Self.catchUpNumberSequences(db)
            try db.execute(
                sql: """
                    INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json)
                    VALUES (?, 'generator', 'season.generate_applications', 'season', ?, NULL, ?)
                    """, arguments: [stamp, String(year), "{\"applications\": \"\(number)\"}"])
        }
        return result
    }
}
