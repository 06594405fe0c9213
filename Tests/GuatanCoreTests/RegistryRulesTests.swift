import GuatanCore
import Testing

@Suite("Registry rules")
struct RegistryRulesTests {
    let districts: Set<String> = ["CG", "QLH", "XG", "AN"]

    func draft(
        id: String = "CG-200", district: String = "CG", name: String = "和平小区东门外瓜果摊点", address: String = "兰州市城关区永昌路1号",
        lat: String = "36.0605", lng: String = "103.8300", opens: String = "06:00", closes: String = "22:00", slots: String = "4"
    ) -> SiteDraft {
        SiteDraft(
            id: id, district: district, name: name, address: address, streetOffice: "张掖路街道",
            lat: lat, lng: lng, opensAt: opens, closesAt: closes, slotCount: slots)
    }

    @Test("a good draft becomes a site with its slot count")
    func valid() throws {
        let (site, count) = try RegistryRules.validate(draft(), knownDistricts: districts).get()
        #expect(site.id == "CG-200")
        #expect(site.position == Coordinate(lat: 36.0605, lng: 103.83))
        #expect(site.opensAt == LocalTime("06:00"))
        #expect(count == 4)
    }

    @Test("empty hours take the programme's defaults")
    func defaultHours() throws {
        let (site, _) = try RegistryRules.validate(draft(opens: "", closes: ""), knownDistricts: districts).get()
        #expect(site.opensAt == Season.defaultOpensAt)
        #expect(site.closesAt == Season.defaultClosesAt)
    }

    @Test(
        "each bad field is named",
        arguments: [
            (["district": "ZZ"], "district"),
            (["id": "XG-001"], "site_id"),
            (["id": "CG-1"], "site_id"),
            (["id": "CG-00a"], "site_id"),
            (["name": ""], "name"),
            (["address": " "], "address"),
            (["lat": "north"], "lat"),
            (["lat": "0", "lng": "0"], "lat"),
            (["lat": "103.83", "lng": "36.06"], "lat"),
            (["opens": "6am"], "opens_at"),
            (["opens": "22:00", "closes": "06:00"], "closes_at"),
            (["slots": "0"], "slots"),
            (["slots": "100"], "slots"),
            (["slots": "two"], "slots"),
        ])
    func invalid(changes: [String: String], field: String) {
        var d = draft()
        for (key, value) in changes {
            switch key {
            case "district": d.district = value
            case "id": d.id = value
            case "name": d.name = value
            case "address": d.address = value
            case "lat": d.lat = value
            case "lng": d.lng = value
            case "opens": d.opensAt = value
            case "closes": d.closesAt = value
            case "slots": d.slotCount = value
            default: Issue.record("unknown key \(key)")
            }
        }
        guard case .failure(let errors) = RegistryRules.validate(d, knownDistricts: districts) else {
            Issue.record("expected \(changes) to be refused")
            return
        }
        #expect(errors.errors.contains { $0.field == field }, "\(errors.errors)")
    }

    @Test("every problem of a row is reported at once")
    func allProblems() {
        guard
            case .failure(let errors) = RegistryRules.validate(
                draft(name: "", lat: "x", slots: "0"), knownDistricts: districts)
        else {
            Issue.record("expected failure")
            return
        }
        #expect(Set(errors.errors.compactMap(\.field)) == ["name", "lat", "slots"])
    }

    @Test("slot IDs are the site ID and a two-digit number")
    func slotIds() {
        #expect(Slot.id(siteId: "CG-001", number: 3) == "CG-001-03")
        #expect(Slot.id(siteId: "AN-015", number: 57) == "AN-015-57")
    }

    @Test("paging refuses zero, negative and huge pages")
    func paging() throws {
        #expect(throws: ValidationError.self) { try PageRequest(page: 0) }
        #expect(throws: ValidationError.self) { try PageRequest(perPage: 0) }
        #expect(throws: ValidationError.self) { try PageRequest(perPage: PageRequest.maxPerPage + 1) }
        #expect(try PageRequest(page: 3, perPage: 20).offset == 40)
    }
}
