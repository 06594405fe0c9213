import Foundation
import GuatanCore
import GuatanStoreInterface

/// What an import or seed load did.
public struct RegistryImportSummary: Sendable, Hashable {
    public var sitesCreated = 0
    public var sitesUpdated = 0
    public var slotsCreated = 0

    public init() {}
}

/// Loading the registry: the seed into an empty store, and sites imported from a CSV file.
/// Every row is checked first (with `RegistryRules`); if any is bad, nothing changes and every
/// bad row is reported. One transaction each, on any backend.
public struct RegistryService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    static let siteColumns = ["site_id", "district", "name", "address", "lat", "lng", "slots"]

    /// Loads the registry from `seed/` (districts.csv, sites.csv, slots.csv) when the store has
    /// never been loaded; nil when it had been.
    @discardableResult
    public func loadSeedIfNeeded(from directory: URL, now: Date) async throws -> RegistryImportSummary? {
        let districtsFile = directory.appendingPathComponent("districts.csv")
        let sitesFile = directory.appendingPathComponent("sites.csv")
        let slotsFile = directory.appendingPathComponent("slots.csv")
        let districts = try CSVTable.parse(
            Data(contentsOf: districtsFile), file: districtsFile.path, required: ["code", "adcode", "name", "name_en"])
        guard districts.problems.isEmpty else { throw RegistryImportError(file: districtsFile.path, problems: districts.problems) }
        let sites = try CSVTable.parse(Data(contentsOf: sitesFile), file: sitesFile.path, required: Self.siteColumns)
        let slots = try CSVTable.parse(Data(contentsOf: slotsFile), file: slotsFile.path, required: ["slot_id", "site_id", "number", "lat", "lng"])

        return try await store.transaction { tx -> RegistryImportSummary? in
            guard try !tx.registryLoaded() else { return nil }
            for record in districts.records {
                try tx.upsertDistrict(District(code: record["code"], adcode: record["adcode"], name: record["name"], nameEn: record["name_en"]))
            }
            let plan = try Self.plan(sites, file: sitesFile.path, tx)
            for (site, _) in plan.sites { try tx.insertSite(site, at: now) }
            for slot in try Self.seedSlots(slots, file: slotsFile.path, expected: sites) { try tx.insertSlot(slot) }
            try tx.markSeedLoaded(at: now)
            try tx.audit(
                actor: "system", action: "registry.seed", entity: "registry", entityId: directory.lastPathComponent,
                before: nil, after: ["sites": String(plan.sites.count), "slots": String(slots.records.count)], at: now)
            var summary = RegistryImportSummary()
            summary.sitesCreated = plan.sites.count
            summary.slotsCreated = slots.records.count
            return summary
        }
    }

    /// Imports sites from a CSV file (columns as in `seed/sites.csv`): new site IDs are created
    /// with their slots, known ones updated and given any extra slots (an import never removes
    /// a slot). `actor` is who imports, as the audit log records it (e.g. `cli:root`).
    public func importSites(csv data: Data, file: String, actor: String, now: Date) async throws -> RegistryImportSummary {
        let table = try CSVTable.parse(data, file: file, required: Self.siteColumns)
        return try await store.transaction { tx in
            let plan = try Self.plan(table, file: file, tx)
            var summary = RegistryImportSummary()
            for (site, count) in plan.sites {
                let existing = plan.existingSlots[site.id] ?? 0
                var after = site.auditFields
                after["slots"] = String(max(count, existing))
                if let before = try tx.site(id: site.id) {
                    var beforeFields = before.auditFields
                    beforeFields["slots"] = String(existing)
                    try tx.updateSite(site, at: now)
                    try tx.audit(actor: actor, action: "site.update", entity: "site", entityId: site.id, before: beforeFields, after: after, at: now)
                    summary.sitesUpdated += 1
                } else {
                    try tx.insertSite(site, at: now)
                    try tx.audit(actor: actor, action: "site.create", entity: "site", entityId: site.id, before: nil, after: after, at: now)
                    summary.sitesCreated += 1
                }
                // New slots stand at the site's position until someone places them exactly.
                guard count > existing else { continue }
                for number in (existing + 1)...count {
                    try tx.insertSlot(Slot(id: Slot.id(siteId: site.id, number: number), siteId: site.id, number: number, position: site.position))
                    summary.slotsCreated += 1
                }
            }
            return summary
        }
    }

    /// The sites of a file, each checked; the whole file refused when any row is bad.
    private static func plan(
        _ table: CSVTable, file: String, _ tx: any StoreTransaction
    ) throws -> (sites: [(Site, Int)], existingSlots: [String: Int]) {
        let knownDistricts = try tx.districtCodes()
        let existingSlots = try tx.slotCounts()
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
        return (valid, existingSlots)
    }

    /// The seed's slots, each placed where slots.csv says, checked against sites.csv.
    private static func seedSlots(_ table: CSVTable, file: String, expected sites: CSVTable) throws -> [Slot] {
        var problems = table.problems
        var counts: [String: Int] = [:]
        var slots: [Slot] = []
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
            slots.append(Slot(id: record["slot_id"], siteId: siteId, number: number, position: Coordinate(lat: lat, lng: lng)))
        }
        for site in sites.records where counts[site["site_id"]] != Int(site["slots"]) {
            problems.append(
                .init(
                    line: site.line, field: "slots",
                    message: "site \(site["site_id"]) declares \(site["slots"]) slots, slots.csv has \(counts[site["site_id"]] ?? 0)"))
        }
        guard problems.isEmpty else { throw RegistryImportError(file: file, problems: problems) }
        return slots
    }
}

extension Site {
    /// The fields an audit entry records for a site.
    var auditFields: [String: String] {
        [
            "district": district, "name": name, "address": address, "street_office": streetOffice,
            "lat": String(position.lat), "lng": String(position.lng),
            "opens_at": opensAt.description, "closes_at": closesAt.description,
        ]
    }
}
