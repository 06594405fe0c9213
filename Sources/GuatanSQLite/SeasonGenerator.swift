import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed, so a generated
/// season is the same on every machine and every run.
public struct SeasonRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        Double.random(in: range, using: &self)
    }

    mutating func pick<T>(_ weighted: [(T, Double)]) -> T {
        var roll = Double.random(in: 0..<weighted.reduce(0) { $0 + $1.1 }, using: &self)
        for (value, weight) in weighted {
            if roll < weight { return value }
            roll -= weight
        }
        return weighted[weighted.count - 1].0
    }
}

/// What `generate-season` wrote.
public struct GeneratedSeason: Sendable {
    public var days = 0
    public var checkIns = 0
    public var attempts = 0
    public var reports = 0
    public var reportEvents = 0
    public var inspections = 0
    public var deductions = 0
}

/// The shape of a season, per 2,059 slots (multiplied by the registry's size): about 20,000
/// citizen reports and 10,000 inspections; how reliably vendors turn up; how reports move.
public struct SeasonShape: Sendable {
    public var reportsPerSlot = 20_000.0 / 2_059
    public var inspectionsPerSlot = 10_000.0 / 2_059

    public init() {}

    /// Report categories by how often citizens use them.
    static let categories: [(ReportCategory, Double)] = [
        (.occupyingRoad, 25), (.hygiene, 20), (.shortWeight, 12), (.notOwnProduce, 10), (.unlicensed, 8), (.stallAbsent, 8),
        (.noise, 7), (.suggestion, 5), (.other, 5),
    ]
    static let descriptions: [ReportCategory: [String]] = [
        .occupyingRoad: ["瓜摊摆到了人行道上，推车过不去", "摊位超出划线范围，占了半条巷子", "三轮车停在消防通道口卖瓜"],
        .hygiene: ["摊位旁瓜皮堆了一下午没人清理", "收摊后地上全是烂果子", "污水直接倒在路边"],
        .shortWeight: ["买了五斤西瓜回家一称只有四斤二两", "秤不准，和标价不一致", "价格没有明码标价"],
        .notOwnProduce: ["卖的明显是批发市场的外地瓜", "摊上有许可证以外的品种"],
        .unlicensed: ["没有挂许可证的摊子在卖桃", "摊主和许可证照片不是一个人"],
        .stallAbsent: ["这个摊位一直空着没人出摊", "摊位被别人占着堆杂物"],
        .noise: ["大喇叭叫卖从早响到晚", "晚上十点还在吆喝"],
        .suggestion: ["希望小区门口多设几个摊位", "摊主很实在，表扬一下"],
        .other: ["摊位遮阳伞挡住了路灯", "有人在摊位旁边乱停车"],
    ]
    static let violations: [(ViolationCode, Double)] = [
        (.outsideBoundary, 35), (.hygiene, 25), (.permitNotShown, 15), (.notCleanedUp, 12), (.shortWeight, 6), (.notOwnProduce, 5),
        (.personPermitSlotMismatch, 2),
    ]
}

extension GuatanDatabase {
    /// Copies the registry `scale - 1` more times, each copy a city of the same shape laid
    /// beside Lanzhou on a 10-by-10 grid (0.25° by 0.4° apart): `--scale 100` makes the
    /// national-scale network of 39,000 sites and 205,900 slots. Copy k's sites are numbered
    /// k × 1000 + the original number (`CG-12045`), their slots as usual (`CG-12045-01`).
    public func scaleRegistry(by scale: Int, now: Date) throws -> (sites: Int, slots: Int) {
        precondition((1...100).contains(scale))
        return try pool.write { db in
            let originals = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM site") ?? 0
            guard scale > 1 else {
                return (originals, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM slot") ?? 0)
            }
            guard try Int.fetchOne(db, sql: "SELECT MAX(CAST(substr(id, instr(id, '-') + 1) AS INTEGER)) FROM site") ?? 0 < 1000 else {
                throw StoreError.conflict("the registry is already scaled")
            }
            let stamp = BusinessTime.rfc3339(now)
            try db.execute(sql: "CREATE TEMP TABLE original_site AS SELECT * FROM site")
            try db.execute(sql: "CREATE TEMP TABLE original_slot AS SELECT slot.*, site.district FROM slot JOIN site ON site.id = slot.site_id")
            for copy in 1..<scale {
                let dLat = Double(copy / 10) * 0.25
                let dLng = Double(copy % 10) * 0.4
                let newId = "district || '-' || (\(copy) * 1000 + CAST(substr(%@, length(district) + 2) AS INTEGER))"
                try db.execute(
                    sql: """
                        INSERT INTO site (id, district, name, address, street_office, lat, lng, opens_at, closes_at, created_at, updated_at, geofence_radius_m)
                        SELECT \(newId.replacingOccurrences(of: "%@", with: "id")), district, name || ' ' || ?, address || '（' || ? || '区）',
                            street_office, lat + ?, lng + ?, opens_at, closes_at, ?, ?, geofence_radius_m
                        FROM original_site
                        """,
                    arguments: [copy, copy, dLat, dLng, stamp, stamp])
                try db.execute(
                    sql: """
                        INSERT INTO slot (id, site_id, number, lat, lng)
                        SELECT \(newId.replacingOccurrences(of: "%@", with: "site_id")) || '-' || printf('%02d', number),
                            \(newId.replacingOccurrences(of: "%@", with: "site_id")), number, lat + ?, lng + ?
                        FROM original_slot
                        """,
                    arguments: [dLat, dLng])
            }
            try db.execute(sql: "DROP TABLE original_site; DROP TABLE original_slot")
            try Self.bumpRegistryVersion(db)
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM site") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM slot") ?? 0)
        }
    }

    /// Writes a season's history up to `last` (inclusive) for the permits already issued:
    /// check-ins for each day with absences, refused attempts (too far, poor accuracy, a
    /// suspended permit) and check-outs; citizen reports through every state of the case loop
    /// with their timelines, time limits and ratings; inspections with violations and the
    /// points they cost. One transaction per day, so the WAL stays small at any scale.
    public func generateSeasonHistory(
        season year: Int, through last: LocalDate, shape: SeasonShape = SeasonShape(), seed: UInt64 = 2026,
        progress: (String) -> Void = { _ in }
    ) throws -> GeneratedSeason {
        var random = SeasonRandom(seed: seed)
        var result = GeneratedSeason()
        let (season, permits, vacantSlots, limits) = try pool.read { db in
            let season = try Self.season(db, year: year)
            let permits = try Row.fetchAll(
                db,
                sql: """
                    SELECT permit.permit_no, permit.vendor_id, permit.slot_id, permit.district, permit.state, slot.lat, slot.lng,
                        site.id AS site_id, site.opens_at, site.closes_at
                    FROM permit JOIN slot ON slot.id = permit.slot_id JOIN site ON site.id = slot.site_id
                    WHERE permit.season = ? AND permit.state IN ('issued', 'suspended')
                    ORDER BY permit.seq
                    """, arguments: [year]
            ).map { row in
                GeneratedPermit(
                    number: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], siteId: row["site_id"],
                    district: row["district"], suspended: (row["state"] as String) == "suspended",
                    position: Coordinate(lat: row["lat"], lng: row["lng"]),
                    opensAt: max(season.opensAt, LocalTime(row["opens_at"] as String) ?? season.opensAt),
                    closesAt: min(season.closesAt, LocalTime(row["closes_at"] as String) ?? season.closesAt))
            }
            let vacant = try Row.fetchAll(
                db,
                sql: """
                    SELECT slot.id, slot.lat, slot.lng, site.id AS site_id, site.district FROM slot JOIN site ON site.id = slot.site_id
                    WHERE slot.id NOT IN (SELECT slot_id FROM permit WHERE season = ? AND state IN \(Self.liveStates))
                    """, arguments: [year]
            ).map { row in
                (
                    slotId: row["id"] as String, siteId: row["site_id"] as String, district: row["district"] as String,
                    position: Coordinate(lat: row["lat"], lng: row["lng"])
                )
            }
            var limits: [ReportCategory: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, time_limit_minutes FROM report_category") {
                if let category = ReportCategory(rawValue: row["code"]) { limits[category] = row["time_limit_minutes"] }
            }
            return (season, permits, vacant, limits)
        }
        guard !permits.isEmpty else { return result }
        let slotCount = Double(permits.count + vacantSlots.count)
        let end = min(last, season.endsOn)
        let days = max(0, end.daysSinceEpoch - season.startsOn.daysSinceEpoch + 1)
        guard days > 0 else { return result }
        // How reliably each vendor turns up: most most days, a few rarely (idle permits).
        let reliability = permits.map { _ in random.chance(0.04) ? random.uniform(0.1...0.4) : random.uniform(0.8...0.99) }
        let reportsPerDay = shape.reportsPerSlot * slotCount / Double(season.endsOn.daysSinceEpoch - season.startsOn.daysSinceEpoch + 1)
        let inspectionsPerDay = shape.inspectionsPerSlot * slotCount / Double(season.endsOn.daysSinceEpoch - season.startsOn.daysSinceEpoch + 1)
        let endOfData = BusinessTime.instant(of: end, at: LocalTime(hour: 22, minute: 0)!)
        var balances: [String: Int] = [:]  // permit|month → points left
        var nextReport = try pool.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM report") ?? 0 } + 1
        var nextInspection = try pool.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM inspection") ?? 0 } + 1

        for offset in 0..<days {
            let day = season.startsOn.adding(days: offset)
            // A rainy day keeps some vendors home.
            let weather = random.chance(0.12) ? random.uniform(0.55...0.8) : 1.0
            try pool.write { db in
                let insertCheckIn = try db.cachedStatement(
                    sql: """
                        INSERT INTO checkin (permit_no, vendor_id, slot_id, district, business_date, checked_in_at, checked_out_at, lat, lng,
                            accuracy_m, distance_m, method)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'vendor')
                        """)
                let insertAttempt = try db.cachedStatement(
                    sql: """
                        INSERT INTO checkin_attempt (vendor_id, permit_no, at, at_epoch, business_date, lat, lng, input_crs, accuracy_m, distance_m,
                            outcome, refusal, checkin_id, method, actor)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'wgs84', ?, ?, ?, ?, ?, 'vendor', ?)
                        """)
                for (index, permit) in permits.enumerated() {
                    let opens = BusinessTime.instant(of: day, at: permit.opensAt)
                    if permit.suspended {
                        // Now and then a suspended vendor tries all the same.
                        if random.chance(0.05) {
                            let at = opens.addingTimeInterval(random.uniform(600...5400))
                            try insertAttempt.execute(arguments: [
                                permit.vendorId, permit.number, BusinessTime.rfc3339(at), at.timeIntervalSince1970, day.description,
                                permit.position.lat, permit.position.lng, 12.0, 3.0, "refused", CheckInRefusal.permitNotActive.rawValue, nil,
                                permit.vendorId,
                            ])
                            result.attempts += 1
                        }
                        continue
                    }
                    guard random.chance(reliability[index] * weather) else { continue }
                    var at = opens.addingTimeInterval(random.uniform(0...6000))
                    let closes = BusinessTime.instant(of: day, at: permit.closesAt)
                    if at > closes.addingTimeInterval(-3600) { at = opens.addingTimeInterval(600) }
                    if random.chance(0.05) {
                        // Tapped too early on the way: refused as too far, then again at the stall.
                        let away = random.uniform(180...900)
                        let early = at.addingTimeInterval(-random.uniform(300...1200))
                        let from = Self.offset(permit.position, metres: away, bearing: random.uniform(0...(2 * .pi)))
                        try insertAttempt.execute(arguments: [
                            permit.vendorId, permit.number, BusinessTime.rfc3339(early), early.timeIntervalSince1970, day.description, from.lat,
                            from.lng, 15.0, (away * 10).rounded() / 10, "refused", CheckInRefusal.tooFar.rawValue, nil, permit.vendorId,
                        ])
                        result.attempts += 1
                    } else if random.chance(0.02) {
                        let early = at.addingTimeInterval(-random.uniform(30...180))
                        try insertAttempt.execute(arguments: [
                            permit.vendorId, permit.number, BusinessTime.rfc3339(early), early.timeIntervalSince1970, day.description,
                            permit.position.lat, permit.position.lng, random.uniform(120...400), nil, "refused", CheckInRefusal.poorAccuracy.rawValue,
                            nil, permit.vendorId,
                        ])
                        result.attempts += 1
                    }
                    let accuracy = (random.uniform(4...35) * 10).rounded() / 10
                    let distance = (random.uniform(0...60) * 10).rounded() / 10
                    let phone = Self.offset(permit.position, metres: distance, bearing: random.uniform(0...(2 * .pi)))
                    let checkedOut: Date? = random.chance(0.85) ? closes.addingTimeInterval(-random.uniform(0...7200)) : nil
                    let stamp = BusinessTime.rfc3339(at)
                    try insertCheckIn.execute(arguments: [
                        permit.number, permit.vendorId, permit.slotId, permit.district, day.description, stamp, checkedOut.map(BusinessTime.rfc3339),
                        phone.lat, phone.lng, accuracy, distance,
                    ])
                    let checkInId = db.lastInsertedRowID
                    try insertAttempt.execute(arguments: [
                        permit.vendorId, permit.number, stamp, at.timeIntervalSince1970, day.description, phone.lat, phone.lng, accuracy, distance,
                        "checked_in", nil, checkInId, permit.vendorId,
                    ])
                    result.checkIns += 1
                    result.attempts += 1
                }

                // Citizens' reports of the day, each carried as far as the time since allows.
                for _ in 0..<Self.count(reportsPerDay, &random) {
                    let category: ReportCategory = random.pick(SeasonShape.categories)
                    let onPermit = category != .unlicensed && random.chance(0.85)
                    let place: (slotId: String, siteId: String, district: String, position: Coordinate, permit: String?)
                    if onPermit || vacantSlots.isEmpty {
                        let permit = permits[Int.random(in: 0..<permits.count, using: &random)]
                        place = (permit.slotId, permit.siteId, permit.district, permit.position, permit.number)
                    } else {
                        let slot = vacantSlots[Int.random(in: 0..<vacantSlots.count, using: &random)]
                        place = (slot.slotId, slot.siteId, slot.district, slot.position, nil)
                    }
                    let created = BusinessTime.instant(of: day, at: LocalTime(hour: 8, minute: 0)!).addingTimeInterval(random.uniform(0...48_600))
                    let events = try Self.generateReport(
                        db, seq: nextReport, category: category, place: place, created: created, limitMinutes: limits[category] ?? 1440,
                        endOfData: endOfData, random: &random)
                    nextReport += 1
                    result.reports += 1
                    result.reportEvents += events
                }

                // Officers' inspections: mostly compliant, some warnings, a few violations that cost points.
                for _ in 0..<Self.count(inspectionsPerDay, &random) {
                    let permit = random.chance(0.92) ? permits[Int.random(in: 0..<permits.count, using: &random)] : nil
                    let slot =
                        permit.map { ($0.slotId, $0.siteId, $0.district, $0.position) }
                        ?? vacantSlots.randomElement(using: &random).map { ($0.slotId, $0.siteId, $0.district, $0.position) }
                    guard let (slotId, siteId, district, position) = slot else { continue }
                    let at = BusinessTime.instant(of: day, at: LocalTime(hour: 9, minute: 0)!).addingTimeInterval(random.uniform(0...39_600))
                    let month = String(day.description.prefix(7))
                    var outcome: InspectionResult = random.pick([(.compliant, 75), (.warning, 18), (.violation, 7)])
                    var codes: [ViolationCode] = []
                    var deducted: [(ViolationCode, Int)] = []
                    if outcome == .violation, let permit {
                        let key = permit.number + "|" + month
                        var left = balances[key] ?? Scoring.monthlyPoints
                        let code: ViolationCode = random.pick(SeasonShape.violations)
                        // A generated season leaves every permit some points: sanctions are the real service's to decide.
                        if code.defaultPoints < left {
                            codes = [code]
                            left -= code.defaultPoints
                            deducted.append((code, code.defaultPoints))
                            balances[key] = left
                        } else {
                            outcome = .warning
                        }
                    } else if outcome == .violation {
                        outcome = .warning
                    }
                    let id = "I" + zeroPadded(nextInspection, width: 6)
                    let standing = Self.offset(position, metres: random.uniform(2...30), bearing: random.uniform(0...(2 * .pi)))
                    try db.execute(
                        sql: """
                            INSERT INTO inspection (seq, id, slot_id, site_id, district, permit_no, officer, result, violations_json, note, lat, lng,
                                distance_m, at, business_date)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            nextInspection, id, slotId, siteId, district, permit?.number, "demo.officer.\(district.lowercased())", outcome.rawValue,
                            Self.json(codes.map(\.rawValue)), outcome == .compliant ? nil : "现场已告知整改", standing.lat, standing.lng,
                            (Geodesy.distance(standing, position) * 10).rounded() / 10, BusinessTime.rfc3339(at), day.description,
                        ])
                    for (code, points) in deducted {
                        try db.execute(
                            sql: "INSERT INTO point_deduction (permit_no, month, points, code, at, inspection_id) VALUES (?, ?, ?, ?, ?, ?)",
                            arguments: [permit?.number, month, points, code.rawValue, BusinessTime.rfc3339(at), id])
                        result.deductions += 1
                    }
                    nextInspection += 1
                    result.inspections += 1
                }
            }
            result.days += 1
            if offset % 10 == 9 || offset == days - 1 {
                progress("\(day): \(result.checkIns) check-ins, \(result.reports) reports, \(result.inspections) inspections")
            }
        }
        try pool.write { db in
            try db.execute(sql: "ANALYZE")
            try Self.bumpRegistryVersion(db)
        }
        try pool.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
        try pool.write { db in try Self.catchUpNumberSequences(db) }
        return result
    }

    /// A whole number around the given mean (the day's reports or inspections), never below zero.
    private static func count(_ mean: Double, _ random: inout SeasonRandom) -> Int {
        let whole = Int(mean)
        let rounded = whole + (random.chance(mean - Double(whole)) ? 1 : 0)
        return max(0, rounded + (random.chance(0.5) ? 1 : 0) - (random.chance(0.5) ? 1 : 0))
    }

    /// A point `metres` away from `point` in the direction `bearing` (radians from north).
    static func offset(_ point: Coordinate, metres: Double, bearing: Double) -> Coordinate {
        let dLat = metres * cos(bearing) / 111_320
        let dLng = metres * sin(bearing) / (111_320 * cos(point.lat * .pi / 180))
        return Coordinate(lat: point.lat + dLat, lng: point.lng + dLng)
    }

    /// One report and its timeline: how far it got depends on how long ago it came in.
    private static func generateReport(
        _ db: Database, seq: Int, category: ReportCategory,
        place: (slotId: String, siteId: String, district: String, position: Coordinate, permit: String?), created: Date, limitMinutes: Int,
        endOfData: Date, random: inout SeasonRandom
    ) throws -> Int {
        let id = "R" + zeroPadded(seq, width: 6)
        let officer = "demo.officer.\(place.district.lowercased())"
        let descriptions = SeasonShape.descriptions[category] ?? ["摊位有问题"]
        let description = descriptions[Int.random(in: 0..<descriptions.count, using: &random)]
        let position = offset(place.position, metres: random.uniform(0...40), bearing: random.uniform(0...(2 * .pi)))
        var hash = ""
        for _ in 0..<4 { hash += String(random.next(), radix: 16).leftPadded(to: 16) }

        var steps: [(action: String, to: ReportState, at: Date, role: String, note: String?)] = [
            ("submit", .submitted, created, "citizen", nil)
        ]
        var clock = created
        func step(_ action: String, _ to: ReportState, after seconds: Double, role: String = "officer", note: String? = nil) -> Bool {
            let at = clock.addingTimeInterval(seconds)
            guard at <= endOfData else { return false }
            clock = at
            steps.append((action, to, at, role, note))
            return true
        }
        var dueAt: Date?
        var closedAt: Date?
        var rating: Int?
        let fate = random.uniform(0...1)
        if fate < 0.05 {
            _ = step("reject", .rejected, after: random.uniform(600...10_800), note: "经核实不属于瓜果摊点管理范围")
        } else if fate < 0.09 {
            _ = step("mark_duplicate", .duplicate, after: random.uniform(300...3600), note: "同一问题已在处理")
        } else if step("accept", .accepted, after: random.uniform(300...7200), note: "已受理"),
            step("dispatch", .dispatched, after: random.uniform(120...3600))
        {
            let limit = Double(limitMinutes) * 60
            dueAt = clock.addingTimeInterval(limit)
            // Most cases are closed within the time limit; some run over.
            let onTime = random.chance(0.86)
            let handling = onTime ? random.uniform(0.1...0.7) * limit : random.uniform(0.9...1.6) * limit
            if step("handle", .handled, after: handling, note: "已到现场处置"),
                step("verify", .verified, after: random.uniform(0.05...0.15) * limit),
                step("close", .closed, after: random.uniform(0.02...0.08) * limit, note: "问题已解决，结案")
            {
                closedAt = clock
                if random.chance(0.55), clock.addingTimeInterval(3600) <= endOfData {
                    rating = random.pick([(5, 50), (4, 30), (3, 12), (2, 5), (1, 3)])
                }
            }
        }
        let state = steps[steps.count - 1].to
        let closed = closedAt ?? (state == .rejected || state == .duplicate ? clock : nil)
        // How it came in, from its number (the random sequence, and so every other figure of a
        // seed's season, stays as it was): most by the stall's code, the rest by the hotline,
        // Open311, at the counter or seen on patrol.
        let channel: ReportChannel =
            switch Int((UInt64(seq) &* 2_654_435_761) % 100) {
            case 0..<70: .web
            case 70..<85: .hotline
            case 85..<90: .open311
            case 90..<94: .walkIn
            default: .officer
            }
        try db.execute(
            sql: """
                INSERT INTO report (seq, id, tracking_hash, category, description, slot_id, site_id, permit_no, district, lat, lng, state,
                    due_at, due_epoch, created_at, created_epoch, updated_at, closed_at, closed_epoch, rating, rated_at, channel)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                seq, id, hash, category.rawValue, description, place.slotId, place.siteId, place.permit, place.district, position.lat,
                position.lng, state.rawValue, dueAt.map(BusinessTime.rfc3339), dueAt?.timeIntervalSince1970, BusinessTime.rfc3339(created),
                created.timeIntervalSince1970, BusinessTime.rfc3339(clock), closed.map(BusinessTime.rfc3339), closed?.timeIntervalSince1970,
                rating, rating.map { _ in BusinessTime.rfc3339(clock.addingTimeInterval(3600)) }, channel.rawValue,
            ])
        let insertEvent = try db.cachedStatement(
            sql: """
                INSERT INTO report_event (report_id, at, actor_role, actor, action, from_state, to_state, public_note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        var from: ReportState?
        for step in steps {
            try insertEvent.execute(arguments: [
                id, BusinessTime.rfc3339(step.at), step.role, step.role == "citizen" ? "citizen" : officer, step.action, from?.rawValue,
                step.to.rawValue, step.note,
            ])
            from = step.to
        }
        return steps.count
    }
}

/// A permit as the generator works with it.
struct GeneratedPermit {
    let number: String
    let vendorId: String
    let slotId: String
    let siteId: String
    let district: String
    let suspended: Bool
    let position: Coordinate
    let opensAt: LocalTime
    let closesAt: LocalTime
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
