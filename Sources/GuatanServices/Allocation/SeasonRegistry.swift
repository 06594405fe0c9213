import Foundation
import GuatanCore
import GuatanStoreInterface

/// What an import would change in a planned season's registry, site by site.
public struct SeasonRegistryDiff: Sendable, Hashable {
    public var added: [String] = []
    public var removed: [String] = []
    /// Site, and how far it moves in metres.
    public var moved: [String: Double] = [:]
    /// Site, and its slot count before and after.
    public var resized: [String: (from: Int, to: Int)] = [:]
    /// Sites whose name, address, street office or hours change.
    public var changed: [String] = []
    public var applied = false

    public static func == (a: SeasonRegistryDiff, b: SeasonRegistryDiff) -> Bool {
        a.lines == b.lines && a.applied == b.applied
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(lines) }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && moved.isEmpty && resized.isEmpty && changed.isEmpty }

    /// One line per change, as the command line prints them.
    public var lines: [String] {
        added.sorted().map { "+ site \($0)" } + removed.sorted().map { "- site \($0)" }
            + moved.sorted { $0.key < $1.key }.map { "~ site \($0.key) moves \(Int($0.value.rounded())) m" }
            + resized.sorted { $0.key < $1.key }.map { "~ site \($0.key) slots \($0.value.from) → \($0.value.to)" }
            + changed.sorted().map { "~ site \($0) name, address or hours" }
    }
}

extension AllocationService {
    /// A place moved further than this is a different place: it needs a new site ID.
    public static let samePlaceMetres = 500.0

    /// Imports a planned season's whole registry from a CSV file (the columns of seed/sites.csv):
    /// the sites and slots it adds, removes, moves and resizes against the season's copy. Without
    /// `apply` nothing is written and the difference is returned for the bureau to read; with it,
    /// the same difference is applied in one transaction. A site ID keeps its district and its
    /// place (within 500 m): IDs are never reused for a different place. Only in `planning`.
    public func importSeasonSites(
        csv data: Data, file: String, season year: Int, apply: Bool, actor: String, at: Date
    ) async throws
        -> SeasonRegistryDiff
    {
        let table = try CSVTable.parse(data, file: file, required: RegistryService.siteColumns)
        return try await store.transaction { tx in
            guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            guard plan.phase == .planning else {
                throw AllocationError.conflict(
                    code: "PHASE", message: "the \(year) registry is edited while the season is planned; it is \(plan.phase.rawValue)")
            }
            let districts = try tx.districtCodes()
            let current = Dictionary(uniqueKeysWithValues: try tx.seasonSiteRows(year: year).map { ($0.site.id, $0) })
            var problems = table.problems
            var wanted: [(Site, Int)] = []
            var seen: [String: Int] = [:]
            for record in table.records {
                let draft = SiteDraft(
                    id: record["site_id"], district: record["district"], name: record["name"], address: record["address"],
                    streetOffice: record["street_office"], lat: record["lat"], lng: record["lng"], opensAt: record["opens_at"],
                    closesAt: record["closes_at"], slotCount: record["slots"])
                switch RegistryRules.validate(draft, knownDistricts: districts) {
                case .failure(let errors):
                    problems += errors.errors.map { CSVRowProblem(line: record.line, field: $0.field, message: $0.message) }
                case .success(let (site, count)):
                    if let first = seen[site.id] {
                        problems.append(.init(line: record.line, field: "site_id", message: "site \(site.id) appears again (first on line \(first))"))
                        continue
                    }
                    seen[site.id] = record.line
                    // The place an ID has named, in this season's copy or the live registry.
                    let known = try current[site.id]?.site ?? tx.site(id: site.id)
                    if let known, known.district != site.district || Geodesy.distance(known.position, site.position) > Self.samePlaceMetres {
                        problems.append(
                            .init(
                                line: record.line, field: "site_id",
                                message:
                                    "site \(site.id) is a place in \(known.district) more than \(Int(Self.samePlaceMetres)) m away: give a different place a new site ID (IDs are never reused)"
                            ))
                        continue
                    }
                    wanted.append((site, count))
                }
            }
            guard problems.isEmpty else { throw RegistryImportError(file: file, problems: problems.sorted { $0.line < $1.line }) }
            var diff = SeasonRegistryDiff()
            for (site, count) in wanted {
                guard let (before, slots) = current[site.id] else {
                    diff.added.append("\(site.id) (\(count) slots)")
                    continue
                }
                let metres = Geodesy.distance(before.position, site.position)
                if metres >= 1 { diff.moved[site.id] = metres }
                if slots != count { diff.resized[site.id] = (slots, count) }
                if (before.name, before.address, before.streetOffice, before.opensAt, before.closesAt)
                    != (site.name, site.address, site.streetOffice, site.opensAt, site.closesAt)
                {
                    diff.changed.append(site.id)
                }
            }
            diff.removed = current.keys.filter { seen[$0] == nil }.sorted()
            guard apply else { return diff }
            for (site, count) in wanted {
                let before = current[site.id]?.site
                try tx.upsertSeasonSite(year: year, site)
                if let before, diff.moved[site.id] != nil {
                    try tx.shiftSeasonSlots(
                        year: year, siteId: site.id, dLat: site.position.lat - before.position.lat, dLng: site.position.lng - before.position.lng)
                }
                try tx.setSeasonSlotCount(year: year, siteId: site.id, count: count, position: site.position)
            }
            for siteId in diff.removed { try tx.deleteSeasonSite(year: year, siteId: siteId) }
            try tx.audit(
                actor: actor, action: "season.import_sites", entity: "season", entityId: String(year), before: nil,
                after: [
                    "file": file, "added": String(diff.added.count), "removed": String(diff.removed.count), "moved": String(diff.moved.count),
                    "resized": String(diff.resized.count), "changed": String(diff.changed.count),
                ], at: at)
            diff.applied = true
            return diff
        }
    }
}
