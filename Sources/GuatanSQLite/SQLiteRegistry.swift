import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: RegistryStore {
    public func sites(district: String?, text: String?, page: PageRequest) async throws -> Page<SiteSummary> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let district {
                conditions.append("s.district = ?")
                arguments += [district]
            }
            if let text, !text.isEmpty {
                // instr() rather than LIKE: no wildcard escaping, and CJK text has no case.
                conditions.append(
                    "(instr(lower(s.name), lower(?)) > 0 OR instr(lower(s.address), lower(?)) > 0 OR instr(lower(s.street_office), lower(?)) > 0)")
                arguments += [text, text, text]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM site s \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db,
                cached: """
                    SELECT s.*, (SELECT COUNT(*) FROM slot WHERE slot.site_id = s.id) AS slot_count
                    FROM site s \(filter) ORDER BY s.id LIMIT ? OFFSET ?
                    """, arguments: arguments + [page.perPage, page.offset])
            let items = rows.map { SiteSummary(site: Self.site($0), slotCount: $0["slot_count"]) }
            return Page(items: items, total: total, request: page)
        }
    }

    public func site(id: String, today: LocalDate) async throws -> SiteDetail? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT s.*, d.name AS district_name FROM site s JOIN district d ON d.code = s.district WHERE s.id = ?
                        """, arguments: [id])
            else { return nil }
            let permits = try Self.slotHoldings(db, on: today, in: .site(id))
            let slots = try Row.fetchAll(db, cached: "SELECT * FROM slot WHERE site_id = ? ORDER BY number", arguments: [id])
                .map { row in
                    let slot = Self.slot(row)
                    return SlotView(slot: slot, holding: permits[slot.id])
                }
            return SiteDetail(site: Self.site(row), districtName: row["district_name"], slots: slots)
        }
    }

    public func stall(slotId: String, today: LocalDate) async throws -> StallView? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT slot.id AS slot_id, slot.site_id, slot.number, slot.lat AS slot_lat, slot.lng AS slot_lng,
                               s.*, d.name AS district_name
                        FROM slot JOIN site s ON s.id = slot.site_id JOIN district d ON d.code = s.district
                        WHERE slot.id = ?
                        """, arguments: [slotId])
            else { return nil }
            var stall = Self.stallView(row, permits: try Self.slotHoldings(db, on: today, in: .slot(slotId)))
            stall.openReportCount =
                try Int.fetchOne(
                    db, cached: "SELECT COUNT(*) FROM report WHERE slot_id = ? AND state IN \(Self.openReportStates)", arguments: [slotId]) ?? 0
            if let last = try Row.fetchOne(
                db, cached: "SELECT business_date, result FROM inspection WHERE slot_id = ? ORDER BY seq DESC LIMIT 1", arguments: [slotId]),
                let date = LocalDate(last["business_date"] as String), let result = InspectionResult(rawValue: last["result"])
            {
                stall.lastInspection = InspectionSummary(date: date, result: result)
            }
            // This season's inspections: between its own first and last days, not the calendar year.
            let season = try Self.season(db, year: today.year)
            for row in try Row.fetchAll(
                db,
                cached: """
                    SELECT result, COUNT(*) AS n FROM inspection WHERE slot_id = ? AND business_date >= ? AND business_date <= ? GROUP BY result
                    """, arguments: [slotId, season.startsOn.description, season.endsOn.description])
            {
                if let result = InspectionResult(rawValue: row["result"]) { stall.seasonInspections[result] = row["n"] }
            }
            return stall
        }
    }

    public func stallsNearby(center: Coordinate, radiusMetres: Double, limit: Int, today: LocalDate) async throws -> [NearbyStall] {
        let box = Geodesy.boundingBox(around: center, radius: radiusMetres)
        return try await read { db in
            // The R*Tree narrows to the box; the exact distance then decides.
            let rows = try Row.fetchAll(
                db,
                cached: """
                    SELECT slot.id AS slot_id, slot.site_id, slot.number, slot.lat AS slot_lat, slot.lng AS slot_lng,
                           s.*, d.name AS district_name
                    FROM slot_rtree r
                    JOIN slot ON slot.pk = r.slot_pk
                    JOIN site s ON s.id = slot.site_id
                    JOIN district d ON d.code = s.district
                    WHERE r.min_lat <= ? AND r.max_lat >= ? AND r.min_lng <= ? AND r.max_lng >= ?
                    """, arguments: [box.maxLat, box.minLat, box.maxLng, box.minLng])
            // Distance first, by column position (slot_id, site_id, number, slot_lat, slot_lng):
            // only the nearest `limit` become stall views, with only their permits read.
            var near: [(row: Row, slotId: String, distance: Double)] = []
            near.reserveCapacity(rows.count)
            for row in rows {
                let distance = Geodesy.distance(center, Coordinate(lat: row[3], lng: row[4]))
                if distance <= radiusMetres { near.append((row, row[0], distance)) }
            }
            near.sort { ($0.distance, $0.slotId) < ($1.distance, $1.slotId) }
            let nearest = near.prefix(limit)
            let permits = try Self.slotHoldings(db, on: today, in: .slots(nearest.map(\.slotId)))
            return nearest.map { NearbyStall(stall: Self.stallView($0.row, permits: permits), distanceMetres: $0.distance) }
        }
    }

    public func registryState(today: LocalDate) async throws -> RegistryState {
        try await read { db in
            let version = try Self.registryVersion(db)
            let districts = try Row.fetchAll(db, cached: "SELECT * FROM district ORDER BY adcode").map(Self.district)
            let siteRows = try Row.fetchAll(
                db,
                cached: """
                    SELECT s.*, d.name AS district_name FROM site s JOIN district d ON d.code = s.district ORDER BY s.id
                    """)
            var slotsBySite: [String: [SlotView]] = [:]
            let permits = try Self.slotHoldings(db, on: today)
            for row in try Row.fetchAll(db, cached: "SELECT * FROM slot ORDER BY site_id, number") {
                let slot = Self.slot(row)
                slotsBySite[slot.siteId, default: []].append(SlotView(slot: slot, holding: permits[slot.id]))
            }
            let sites = siteRows.map { row in
                let site = Self.site(row)
                return SiteDetail(site: site, districtName: row["district_name"], slots: slotsBySite[site.id] ?? [])
            }
            return RegistryState(version: version, districts: districts, sites: sites)
        }
    }

    public func season(year: Int) async throws -> Season {
        try await read { db in try Self.season(db, year: year) }
    }

    public func registryVersion() async throws -> Int64 {
        try await read { db in try Self.registryVersion(db) }
    }

    // MARK: - Rows to domain values

    static func registryVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, cached: "SELECT CAST(value AS INTEGER) FROM store_meta WHERE key = 'registry_version'") ?? 0
    }

    /// Called inside every write transaction that changes what the map shows.
    static func bumpRegistryVersion(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'registry_version'").execute()
    }

    static func district(_ row: Row) -> District {
        District(code: row["code"], adcode: row["adcode"], name: row["name"], nameEn: row["name_en"])
    }

    static func site(_ row: Row) -> Site {
        Site(
            id: row["id"], district: row["district"], name: row["name"], address: row["address"],
            streetOffice: row["street_office"], position: Coordinate(lat: row["lat"], lng: row["lng"]),
            opensAt: LocalTime(row["opens_at"] as String) ?? Season.defaultOpensAt,
            closesAt: LocalTime(row["closes_at"] as String) ?? Season.defaultClosesAt)
    }

    static func slot(_ row: Row) -> Slot {
        Slot(id: row["id"], siteId: row["site_id"], number: row["number"], position: Coordinate(lat: row["lat"], lng: row["lng"]))
    }

    static func stallView(_ row: Row, permits: [String: SlotHolding]) -> StallView {
        let slot = Slot(
            id: row["slot_id"], siteId: row["site_id"], number: row["number"],
            position: Coordinate(lat: row["slot_lat"], lng: row["slot_lng"]))
        return StallView(slot: SlotView(slot: slot, holding: permits[slot.id]), site: site(row), districtName: row["district_name"])
    }
}
