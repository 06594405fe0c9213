import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func sites(district: String?, text: String?, page: PageRequest) async throws -> Page<SiteSummary> {
        try await sqlRead { db in
            var conditions = ["s.retired_from IS NULL"]
            var arguments: SQLArguments = []
            if let district {
                conditions.append("s.district = ?")
                arguments += [district]
            }
            if let text, !text.isEmpty {
                let contains = db.dialect.containsText
                conditions.append("(\(contains("s.name")) OR \(contains("s.address")) OR \(contains("s.street_office")))")
                arguments += [text, text, text]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total: Int = try db.value("SELECT COUNT(*) FROM site s \(filter)", arguments) ?? 0
            let rows = try db.rows(
                """
                SELECT s.*, (SELECT COUNT(*) FROM slot WHERE slot.site_id = s.id AND slot.retired_from IS NULL) AS slot_count
                FROM site s \(filter) ORDER BY s.id LIMIT ? OFFSET ?
                """, arguments + [page.perPage, page.offset])
            let items = rows.map { SiteSummary(site: SQLRows.site($0), slotCount: $0["slot_count"]) }
            return Page(items: items, total: total, request: page)
        }
    }

    public func site(id: String, today: LocalDate) async throws -> SiteDetail? {
        try await sqlRead { db in
            guard
                let row = try db.row(
                    "SELECT s.*, d.name AS district_name FROM site s JOIN district d ON d.code = s.district WHERE s.id = ? AND s.retired_from IS NULL",
                    [id])
            else { return nil }
            let permits = try SQLQueries.slotHoldings(db, on: today, in: .site(id))
            let slots = try db.rows("SELECT * FROM slot WHERE site_id = ? AND retired_from IS NULL ORDER BY number", [id]).map { row in
                let slot = SQLRows.slot(row)
                return SlotView(slot: slot, holding: permits[slot.id])
            }
            return SiteDetail(site: SQLRows.site(row), districtName: row["district_name"], slots: slots)
        }
    }

    public func stall(slotId: String, today: LocalDate) async throws -> StallView? {
        try await sqlRead { db in
            guard
                let row = try db.row(
                    """
                    SELECT slot.id AS slot_id, slot.site_id, slot.number, slot.lat AS slot_lat, slot.lng AS slot_lng,
                           s.*, d.name AS district_name
                    FROM slot JOIN site s ON s.id = slot.site_id JOIN district d ON d.code = s.district
                    WHERE slot.id = ? AND slot.retired_from IS NULL
                    """, [slotId])
            else { return nil }
            var stall = SQLRows.stallView(row, permits: try SQLQueries.slotHoldings(db, on: today, in: .slot(slotId)))
            stall.openReportCount =
                try db.value("SELECT COUNT(*) FROM report WHERE slot_id = ? AND state IN \(SQLQueries.openReportStates)", [slotId]) ?? 0
            if let permit = stall.slot.permit,
                let helpers: String = try db.value("SELECT helpers_json FROM permit WHERE permit_no = ?", [permit.number])
            {
                stall.registeredHelpers = SQLRows.helpers(helpers).count
            }
            if let last = try db.row("SELECT business_date, result FROM inspection WHERE slot_id = ? ORDER BY seq DESC LIMIT 1", [slotId]),
                let date = LocalDate(last["business_date"] as String), let result = InspectionResult(rawValue: last["result"])
            {
                stall.lastInspection = InspectionSummary(date: date, result: result)
            }
            // This season's inspections: between its own first and last days, not the calendar year.
            let season = try SQLQueries.season(db, year: today.year)
            for row in try db.rows(
                "SELECT result, COUNT(*) AS n FROM inspection WHERE slot_id = ? AND business_date >= ? AND business_date <= ? GROUP BY result",
                [slotId, season.startsOn.description, season.endsOn.description])
            {
                if let result = InspectionResult(rawValue: row["result"]) { stall.seasonInspections[result] = row["n"] }
            }
            return stall
        }
    }

    public func stallsNearby(center: Coordinate, radiusMetres: Double, limit: Int, today: LocalDate) async throws -> [NearbyStall] {
        let box = Geodesy.boundingBox(around: center, radius: radiusMetres)
        return try await sqlRead { db in
            // The database's index narrows to the box; the exact distance then decides.
            let rows = try db.rows(
                """
                SELECT slot.id AS slot_id, slot.site_id, slot.number, slot.lat AS slot_lat, slot.lng AS slot_lng,
                       s.*, d.name AS district_name
                \(db.dialect.slotsInBox) AND slot.retired_from IS NULL
                """, [box.maxLat, box.minLat, box.maxLng, box.minLng])
            // Distance first, by column position (slot_id, site_id, number, slot_lat, slot_lng):
            // only the nearest `limit` become stall views, with only their permits read.
            var near: [(row: SQLRow, slotId: String, distance: Double)] = []
            near.reserveCapacity(rows.count)
            for row in rows {
                let distance = Geodesy.distance(center, Coordinate(lat: row[3], lng: row[4]))
                if distance <= radiusMetres { near.append((row, row[0], distance)) }
            }
            near.sort { ($0.distance, $0.slotId) < ($1.distance, $1.slotId) }
            let nearest = near.prefix(limit)
            let permits = try SQLQueries.slotHoldings(db, on: today, in: .slots(nearest.map(\.slotId)))
            return nearest.map { NearbyStall(stall: SQLRows.stallView($0.row, permits: permits), distanceMetres: $0.distance) }
        }
    }

    /// Read in parts side by side at national scale (39,000 sites, 205,900 slots: one read is
    /// about a second on one core): each part is a range of site IDs with its slots and their
    /// holdings in one ordered query, and all parts must see one registry version.
    public func registryState(today: LocalDate) async throws -> RegistryState {
        // Two parts a core: parts finish at different times, and the last one sets the wait.
        let parts = Swift.min(8, 2 * Swift.max(1, ProcessInfo.processInfo.activeProcessorCount))
        for _ in 0..<3 {
            let head = try await sqlRead { db in
                // Parts of equal numbers of slots (sites have from one to dozens), bounded by
                // site IDs. Below some twenty thousand slots one read is quicker than several.
                let count: Int = try db.value("SELECT COUNT(*) FROM slot") ?? 0
                let split = count >= 20_000 && db.dialect.readsRegistryInParts ? parts : 1
                let bounds: [String] = Array(
                    Set(
                        try (1..<split).compactMap { part in
                            try db.value("SELECT site_id FROM slot ORDER BY site_id LIMIT 1 OFFSET ?", [count * part / split]) as String?
                        })
                ).sorted()
                return (
                    version: try SQLQueries.registryVersion(db),
                    districts: try db.rows("SELECT * FROM district ORDER BY adcode").map(SQLRows.district),
                    bounds: bounds
                )
            }
            let ranges = zip([nil] + head.bounds.map(Optional.some), head.bounds.map(Optional.some) + [nil]).map { (from: $0, to: $1) }
            let read = try await withThrowingTaskGroup(of: (Int, Int64, [SiteDetail]).self) { group in
                for (index, range) in ranges.enumerated() {
                    group.addTask {
                        try await sqlRead { db in
                            (
                                index, try SQLQueries.registryVersion(db),
                                try SQLQueries.registrySites(db, today: today, from: range.from, to: range.to)
                            )
                        }
                    }
                }
                var parts: [(Int, Int64, [SiteDetail])] = []
                for try await part in group { parts.append(part) }
                return parts.sorted { $0.0 < $1.0 }
            }
            // A registry change between the reads: read again (a status change needs nothing:
            // it is announced, and applied to the snapshot after this read).
            if read.allSatisfy({ $0.1 == head.version }) {
                return RegistryState(version: head.version, districts: head.districts, sites: read.flatMap(\.2))
            }
        }
        return try await sqlRead { db in
            RegistryState(
                version: try SQLQueries.registryVersion(db), districts: try db.rows("SELECT * FROM district ORDER BY adcode").map(SQLRows.district),
                sites: try SQLQueries.registrySites(db, today: today, from: nil, to: nil))
        }
    }

    public func stallHoldings(slotIds: [String], today: LocalDate) async throws -> StallHoldings {
        try await sqlRead { db in
            StallHoldings(
                version: try SQLQueries.registryVersion(db),
                holdings: slotIds.isEmpty ? [:] : try SQLQueries.slotHoldings(db, on: today, in: .slots(slotIds)))
        }
    }

    public func season(year: Int) async throws -> Season {
        try await sqlRead { db in try SQLQueries.season(db, year: year) }
    }

    public func registryVersion() async throws -> Int64 {
        try await sqlRead { db in try SQLQueries.registryVersion(db) }
    }

    /// True until the registry has sites (a fresh database).
    public func registryIsEmpty() async throws -> Bool {
        try await sqlRead { db in (try db.value("SELECT 1 FROM site LIMIT 1") as Int?) == nil }
    }
}
