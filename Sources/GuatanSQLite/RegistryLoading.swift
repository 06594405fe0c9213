import Foundation
import GRDB
import GuatanCore

/// What an import or seed load did.
public struct RegistryImportSummary: Sendable, Hashable {
    public var sitesCreated = 0
    public var sitesUpdated = 0
    public var slotsCreated = 0

    public init() {}
}

extension GuatanDatabase {
    static let siteColumns = ["site_id", "district", "name", "address", "lat", "lng", "slots"]

    /// Loads the registry from `seed/` (districts.csv, sites.csv, slots.csv) when the
    /// database has never been seeded; returns nil when it had been. One transaction.
    @discardableResult
    public func loadSeedIfNeeded(from directory: URL, now: Date) throws -> RegistryImportSummary? {
        let districtsFile = directory.appendingPathComponent("districts.csv")
        let sitesFile = directory.appendingPathComponent("sites.csv")
        let slotsFile = directory.appendingPathComponent("slots.csv")
        let districts = try CSVTable.parse(
            Data(contentsOf: districtsFile), file: districtsFile.path, required: ["code", "adcode", "name", "name_en"])
        guard districts.problems.isEmpty else { throw RegistryImportError(file: districtsFile.path, problems: districts.problems) }
        let sites = try CSVTable.parse(Data(contentsOf: sitesFile), file: sitesFile.path, required: Self.siteColumns)
        let slots = try CSVTable.parse(Data(contentsOf: slotsFile), file: slotsFile.path, required: ["slot_id", "site_id", "number", "lat", "lng"])

        return try pool.write { db -> RegistryImportSummary? in
            let seeded = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'seed_loaded_at'")
            let siteCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM site") ?? 0
            guard seeded == nil, siteCount == 0 else { return nil }

            for record in districts.records {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO district (code, adcode, name, name_en) VALUES (?, ?, ?, ?)",
                    arguments: [record["code"], record["adcode"], record["name"], record["name_en"]])
            }
            let summary = try Self.upsertSites(db, table: sites, file: sitesFile.path, actor: nil, now: now, createSlots: false)
            try Self.insertSeedSlots(db, table: slots, file: slotsFile.path, expected: sites)
            try db.execute(
                sql: "INSERT INTO store_meta (key, value) VALUES ('seed_loaded_at', ?)",
                arguments: [BusinessTime.rfc3339(now)])
            try Self.audit(
                db, at: now, actor: "system", action: "registry.seed", entity: "registry", entityId: directory.lastPathComponent,
                before: nil, after: ["sites": String(summary.sitesCreated), "slots": String(slots.records.count)])
            var result = summary
            result.slotsCreated = slots.records.count
            return result
        }
    }

    /// Imports sites from a CSV file (columns as in `seed/sites.csv`): new site IDs are
    /// created with their slots, known ones updated and given any extra slots. Every row is
    /// checked first; if any is bad, nothing changes and every bad row is reported.
    /// `actor` is who imports, as the audit log records it (e.g. `cli:root`).
    public func importSites(csv data: Data, file: String, actor: String, now: Date) throws -> RegistryImportSummary {
        let table = try CSVTable.parse(data, file: file, required: Self.siteColumns)
        return try pool.write { db in
            try Self.upsertSites(db, table: table, file: file, actor: actor, now: now, createSlots: true)
        }
    }

    /// `actor` nil: the seed load, audited as a whole rather than site by site.
    private static func upsertSites(
        _ db: Database, table: CSVTable, file: String, actor: String?, now: Date, createSlots: Bool
    ) throws -> RegistryImportSummary {
        let knownDistricts = Set(try String.fetchAll(db, sql: "SELECT code FROM district"))
        let existingSlots = Dictionary(
            try Row.fetchAll(db, sql: "SELECT site_id, COUNT(*) AS n FROM slot GROUP BY site_id").map { ($0["site_id"] as String, $0["n"] as Int) },
            uniquingKeysWith: { a, _ in a })
        let existingSites = Set(try String.fetchAll(db, sql: "SELECT id FROM site"))
        func currentSite(_ id: String) throws -> Site? {
            try Row.fetchOne(db, sql: "SELECT * FROM site WHERE id = ?", arguments: [id]).map(Self.site)
        }
        var problems = table.problems
        var valid: [(Site, Int)] = []
        var seen: [String: Int] = [:]
        for record in table.records {
            let draft = SiteDraft(
                id: record["site_id"], district: record["district"], name: record["name"], address: record["address"],
                streetOffice: record["street_office"], lat: record["lat"], lng: record["lng"],
                opensAt: record["opens_at"], closesAt: record["closes_at"], slotCount: record["slots"])
            switch RegistryRules.validate(draft, knownDistricts: knownDistricts) {
            case .failure(let errors):
                problems += errors.errors.map { CSVRowProblem(line: record.line, field: $0.field, message: $0.message) }
            case .success(let (site, count)):
                if let first = seen[site.id] {
                    problems.append(.init(line: record.line, field: "site_id", message: "site \(site.id) appears again (first on line \(first))"))
                    continue
                }
                seen[site.id] = record.line
                if let existing = existingSlots[site.id], count < existing {
                    problems.append(
                        .init(
                            line: record.line, field: "slots",
                            message: "site \(site.id) has \(existing) slots; an import can add slots but not remove them"))
                    continue
                }
                valid.append((site, count))
            }
        }
        guard problems.isEmpty else {
            throw RegistryImportError(file: file, problems: problems.sorted { $0.line < $1.line })
        }

        var summary = RegistryImportSummary()
        let stamp = BusinessTime.rfc3339(now)
        for (site, count) in valid {
            let arguments: StatementArguments = [
                site.id, site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
                site.opensAt.description, site.closesAt.description, stamp, stamp,
            ]
            let existing = existingSlots[site.id] ?? 0
            if existingSites.contains(site.id) {
                let before = try currentSite(site.id)
                if let actor {
                    var beforeFields = before?.auditFields ?? [:]
                    beforeFields["slots"] = String(existing)
                    var afterFields = site.auditFields
                    afterFields["slots"] = String(max(count, existing))
                    try audit(
                        db, at: now, actor: actor, action: "site.update", entity: "site", entityId: site.id, before: beforeFields, after: afterFields)
                }
                try db.execute(
                    sql: """
                        UPDATE site SET district = ?2, name = ?3, address = ?4, street_office = ?5, lat = ?6, lng = ?7,
                            opens_at = ?8, closes_at = ?9, updated_at = ?11 WHERE id = ?1
                        """, arguments: arguments)
                summary.sitesUpdated += 1
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO site (id, district, name, address, street_office, lat, lng, opens_at, closes_at, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: arguments)
                summary.sitesCreated += 1
                if let actor {
                    var afterFields = site.auditFields
                    afterFields["slots"] = String(count)
                    try audit(db, at: now, actor: actor, action: "site.create", entity: "site", entityId: site.id, before: nil, after: afterFields)
                }
            }
            guard createSlots else { continue }
            // New slots stand at the site's position until someone places them exactly.
            guard count > existing else { continue }
            for number in (existing + 1)...count {
                try db.execute(
                    sql: "INSERT INTO slot (id, site_id, number, lat, lng) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Slot.id(siteId: site.id, number: number), site.id, number, site.position.lat, site.position.lng])
                summary.slotsCreated += 1
            }
        }
        if !valid.isEmpty { try bumpRegistryVersion(db) }
        return summary
    }

    private static func insertSeedSlots(_ db: Database, table: CSVTable, file: String, expected sites: CSVTable) throws {
        var problems = table.problems
        var counts: [String: Int] = [:]
        let siteIds = Set(sites.records.map { $0["site_id"] })
        for record in table.records {
            let siteId = record["site_id"]
            guard siteIds.contains(siteId) else {
                problems.append(.init(line: record.line, field: "site_id", message: "no site \(siteId) in sites.csv"))
                continue
            }
            guard let number = Int(record["number"]), number >= 1,
                let lat = Double(record["lat"]), let lng = Double(record["lng"]),
                RegistryRules.cityBounds.contains(Coordinate(lat: lat, lng: lng))
            else {
                problems.append(.init(line: record.line, field: nil, message: "number, lat and lng must be a slot number and a position in Lanzhou"))
                continue
            }
            guard record["slot_id"] == Slot.id(siteId: siteId, number: number) else {
                problems.append(.init(line: record.line, field: "slot_id", message: "slot ID must be \(Slot.id(siteId: siteId, number: number))"))
                continue
            }
            counts[siteId, default: 0] += 1
            try db.execute(
                sql: "INSERT INTO slot (id, site_id, number, lat, lng) VALUES (?, ?, ?, ?, ?)",
                arguments: [record["slot_id"], siteId, number, lat, lng])
        }
        for site in sites.records where counts[site["site_id"]] != Int(site["slots"]) {
            problems.append(
                .init(
                    line: site.line, field: "slots",
                    message: "site \(site["site_id"]) declares \(site["slots"]) slots, slots.csv has \(counts[site["site_id"]] ?? 0)"))
        }
        guard problems.isEmpty else { throw RegistryImportError(file: file, problems: problems) }
    }
}
