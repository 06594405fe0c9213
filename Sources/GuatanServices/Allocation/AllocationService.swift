import Foundation
import GuatanCore
import GuatanStoreInterface
import Synchronization

/// The season's allocation from one year to the next: the season opened from the last one's
/// registry, applications in the window, review, the published list and commitment, the draw,
/// the notice with its objections, every permit issued at once, and through the season the
/// waitlist's offers for slots given up or taken back. Each step one transaction with its audit.
public struct AllocationService: Sendable {
    let store: any WorkflowStore
    /// The published files last read, decoded: a national file is a hundred megabytes.
    let drawFiles = PublishedDrawCache()

    public init(store: any WorkflowStore) {
        self.store = store
    }

    // MARK: the season's lifecycle

    /// Next year's season (`guatan season open 2027 --from 2026`): `planning`, with a copy of
    /// `from`'s registry (its own copy, or the live registry) that the bureau edits.
    public func openSeason(year: Int, from: Int, actor: String, at: Date) async throws -> SeasonPlan {
        guard (2000...2100).contains(year), from < year else {
            throw AllocationError.invalid(ValidationError(field: "year", message: "open a season after the one it is copied from"))
        }
        return try await store.transaction { tx in
            if let existing = try tx.seasonPlan(year: year) {
                throw AllocationError.conflict(code: "CONFLICT", message: "the \(year) season exists already (\(existing.phase.rawValue))")
            }
            let copied = try tx.copySeasonRegistry(from: from, to: year)
            guard copied.slots > 0 else {
                throw AllocationError.conflict(code: "CONFLICT", message: "there is no registry to copy from \(from)")
            }
            var plan = SeasonPlan(season: Season.standard(year: year), phase: .planning, copiedFrom: from)
            if let last = try tx.seasonPlan(year: from) {
                // The bureau's rules carry over; the dates are the standard ones of the new year.
                plan.maxPreferences = last.maxPreferences
                plan.noticeDays = last.noticeDays
                plan.renewalMinShare = last.renewalMinShare
                plan.offerHours = last.offerHours
            }
            try tx.insertSeasonPlan(plan)
            try tx.audit(
                actor: actor, action: "season.open", entity: "season", entityId: String(year), before: nil,
                after: ["phase": "planning", "from": String(from), "sites": String(copied.sites), "slots": String(copied.slots)], at: at)
            return plan
        }
    }

    /// The bureau's settings for a season still ahead: the window, the notice, renewal's share, offers.
    public struct Settings: Sendable {
        public var applicationsOpenOn: LocalDate?
        public var applicationsCloseOn: LocalDate?
        public var maxPreferences: Int?
        public var noticeDays: Int?
        public var renewalMinShare: Double?
        public var offerHours: Int?

        public init(
            applicationsOpenOn: LocalDate? = nil, applicationsCloseOn: LocalDate? = nil, maxPreferences: Int? = nil, noticeDays: Int? = nil,
            renewalMinShare: Double? = nil, offerHours: Int? = nil
        ) {
            self.applicationsOpenOn = applicationsOpenOn
            self.applicationsCloseOn = applicationsCloseOn
            self.maxPreferences = maxPreferences
            self.noticeDays = noticeDays
            self.renewalMinShare = renewalMinShare
            self.offerHours = offerHours
        }
    }

    /// Moves a season one step (`open_applications` … `close_season`), doing what the step means.
    public func act(year: Int, action: SeasonAction, settings: Settings = Settings(), by admin: Account, at: Date) async throws -> SeasonPlan {
        _ = try Access.require(admin, roles: [.admin])
        let actor = "account:\(admin.username)"
        let (plan, file) = try await store.transaction { [drawFiles] tx -> (SeasonPlan, (DrawRecord, PublishedDraw)?) in
            guard var plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            let today = BusinessTime.localDate(of: at)
            let before = plan.phase
            var file: (DrawRecord, PublishedDraw)?
            if action == .openApplications {
                plan = try Self.applying(settings, to: plan, today: today)
            }
            // Whether the list is out, without reading the published file (a national one is 100 MB).
            let draw = try tx.drawSummary(season: year)
            let facts = SeasonWorkflow.Facts(
                today: today, listPublished: draw != nil,
                applicationsAwaitingReview: try tx.applicationCount(season: year, states: [.submitted, .reviewed]),
                openObjections: try tx.objections(season: year).filter { $0.state == .open }.count)
            plan.phase = try SeasonWorkflow.decide(action, plan: plan, facts: facts)
            var after: [String: String] = ["phase": plan.phase.rawValue]
            switch action {
            case .openApplications:
                after["window"] = "\(plan.applicationsOpenOn!)..\(plan.applicationsCloseOn!)"
            case .publishList:
                file = try Self.publishList(tx, plan: plan, at: at)
                after["commitment"] = file!.1.file.commitment
                after["applications"] = String(file!.1.file.applications.count)
            case .draw:
                file = try Self.runDraw(tx, year: year, at: at, files: drawFiles)
                after["allocated"] = String(file!.1.file.results?.allocation.count ?? 0)
            case .startNotice:
                plan.noticeEndsOn = today.adding(days: plan.noticeDays - 1)
                after["notice_ends_on"] = plan.noticeEndsOn!.description
            case .allocate:
                after["permits"] = String(try Self.issuePermits(tx, plan: plan, actor: actor, at: at))
            case .closeApplications, .startSeason, .closeSeason:
                break
            }
            try tx.updateSeasonPlan(plan)
            try tx.audit(
                actor: actor, action: "season.\(action.rawValue)", entity: "season", entityId: String(year), before: ["phase": before.rawValue],
                after: after, at: at)
            return (plan, file)
        }
        // Kept once committed: the draw runs on the list without decoding 100 MB again, and the
        // public page has the file at hand.
        if let (record, draw) = file { drawFiles.remember(draw, for: record) }
        return plan
    }

    /// Changes a planned season's settings (in `planning`, or the window's last day while it is open).
    public func configure(year: Int, _ settings: Settings, by admin: Account, at: Date) async throws -> SeasonPlan {
        _ = try Access.require(admin, roles: [.admin])
        return try await store.transaction { tx in
            guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            guard plan.phase == .planning else {
                throw AllocationError.conflict(code: "PHASE", message: "a season's rules are set while it is planned; it is \(plan.phase.rawValue)")
            }
            let changed = try Self.applying(settings, to: plan, today: BusinessTime.localDate(of: at))
            try tx.updateSeasonPlan(changed)
            try tx.audit(
                actor: "account:\(admin.username)", action: "season.configure", entity: "season", entityId: String(year), before: nil,
                after: [
                    "window": "\(changed.applicationsOpenOn?.description ?? "")..\(changed.applicationsCloseOn?.description ?? "")",
                    "max_preferences": String(changed.maxPreferences), "notice_days": String(changed.noticeDays),
                    "renewal_min_share": String(changed.renewalMinShare), "offer_hours": String(changed.offerHours),
                ], at: at)
            return changed
        }
    }

    static func applying(_ settings: Settings, to plan: SeasonPlan, today: LocalDate) throws -> SeasonPlan {
        var plan = plan
        if let opens = settings.applicationsOpenOn { plan.applicationsOpenOn = opens }
        if let closes = settings.applicationsCloseOn { plan.applicationsCloseOn = closes }
        if plan.applicationsCloseOn != nil, plan.applicationsOpenOn == nil { plan.applicationsOpenOn = today }
        if let opens = plan.applicationsOpenOn, let closes = plan.applicationsCloseOn {
            try SeasonWorkflow.validateWindow(opensOn: opens, closesOn: closes, season: plan.season)
        }
        if let value = settings.maxPreferences {
            guard (1...10).contains(value) else { throw ValidationError(field: "max_preferences", message: "max_preferences is 1 to 10") }
            plan.maxPreferences = value
        }
        if let value = settings.noticeDays {
            guard (1...30).contains(value) else { throw ValidationError(field: "notice_days", message: "notice_days is 1 to 30") }
            plan.noticeDays = value
        }
        if let value = settings.renewalMinShare {
            guard (0...1).contains(value) else { throw ValidationError(field: "renewal_min_share", message: "renewal_min_share is 0 to 1") }
            plan.renewalMinShare = value
        }
        if let value = settings.offerHours {
            guard (1...240).contains(value) else { throw ValidationError(field: "offer_hours", message: "offer_hours is 1 to 240") }
            plan.offerHours = value
        }
        return plan
    }

    /// Review is over: each qualified application's tier decided by rule, the list and a
    /// commitment to a fresh secret seed published (the seed stays in the database until the draw).
    static func publishList(_ tx: any StoreTransaction, plan: SeasonPlan, at: Date) throws -> (DrawRecord, PublishedDraw) {
        let year = plan.year
        let lastSeason = try tx.seasonPlan(year: year - 1)?.season ?? Season.standard(year: year - 1)
        var entries: [Draw.Entry] = []
        // Most applications are general: one statement sets them, the others by tier after.
        try tx.setApplicationTiers(season: year, tier: DrawTier.general.rawValue)
        var raised: [DrawTier: [String]] = [:]
        for candidate in try tx.drawCandidates(season: year) {
            let standing = candidate.lastSeason.map { last in
                DrawTier.LastSeason(
                    revoked: last.state == .revoked, monthsAtZeroPoints: Scoring.exhaustedMonths(deductedByMonth: last.deductedByMonth).count,
                    checkInShare: Double(last.checkInDays) / Double(max(lastSeason.dayCount, 1)))
            }
            let tier = DrawTier.of(
                asksRenewal: candidate.renewalSlot != nil, lastSeason: standing, minimumShare: plan.renewalMinShare,
                priorityVerified: candidate.priorityVerified)
            if tier != .general { raised[tier, default: []].append(candidate.applicationNo) }
            entries.append(
                Draw.Entry(
                    applicationNo: candidate.applicationNo, holderMasked: Masking.name(candidate.holderName), tier: tier.rawValue,
                    preferences: candidate.preferences, renewalSlot: tier == .renewal ? candidate.renewalSlot : nil))
        }
        for (tier, numbers) in raised { try tx.setApplicationTiers(numbers, tier: tier.rawValue) }
        var sites: [Draw.SiteSlots] = []
        for slot in try tx.seasonSlots(year: year) {
            if sites.last?.siteId == slot.siteId {
                sites[sites.count - 1].slots.append(slot.slotId)
            } else {
                sites.append(Draw.SiteSlots(siteId: slot.siteId, slots: [slot.slotId]))
            }
        }
        let (seed, commitment) = Draw.newSeed()
        let published = Draw.Published(season: year, commitment: commitment, sites: sites, applications: entries)
        let record = DrawRecord(
            season: year, commitment: commitment, seedHex: seed, publishedJSON: String(decoding: try published.encoded(), as: UTF8.self),
            publishedAt: at, drawnAt: nil, excluded: [])
        try tx.insertDraw(record)
        return (record, PublishedDraw(text: record.publishedJSON, file: published))
    }

    /// The seed revealed and the rule run; each application's slot and each site's waitlist kept.
    static func runDraw(_ tx: any StoreTransaction, year: Int, at: Date, files: PublishedDrawCache) throws -> (DrawRecord, PublishedDraw) {
        guard var record = try tx.draw(season: year) else { throw StoreError.notFound("the \(year) list is not published") }
        var published = try files.cached(record)?.file ?? Draw.Published.decode(Data(record.publishedJSON.utf8))
        published.seed = record.seedHex
        let results = try published.run()
        published.results = results
        record.publishedJSON = String(decoding: try published.encoded(), as: UTF8.self)
        record.drawnAt = at
        try tx.updateDraw(record)
        try recordOutcome(tx, year: year, previous: [:], results: results, at: at)
        return (record, PublishedDraw(text: record.publishedJSON, file: published))
    }

    /// Writes what a draw gave: the slots that changed hands since `previous`, and the waitlists.
    static func recordOutcome(
        _ tx: any StoreTransaction, year: Int, previous: [String: Draw.Allocated], results: Draw.Result, at: Date
    ) throws {
        let now = Dictionary(results.allocation.map { ($0.applicationNo, $0) }, uniquingKeysWith: { a, _ in a })
        var changed: [(number: String, slotId: String?, rank: Int?)] = previous.keys.filter { now[$0] == nil }.map { ($0, nil, nil) }
        for (number, allocated) in now where previous[number] != allocated { changed.append((number, allocated.slotId, allocated.rank)) }
        try tx.setApplicationSlots(changed.sorted { $0.number < $1.number }, at: at)
        try tx.replaceWaitlists(season: year, results.waitlists)
    }

    /// After the notice: the season's registry becomes the live one, and every allocated
    /// application's permit is issued, all in this one transaction.
    static func issuePermits(_ tx: any StoreTransaction, plan: SeasonPlan, actor: String, at: Date) throws -> Int {
        let today = BusinessTime.localDate(of: at)
        let running = try tx.seasonPlan(year: plan.year - 1)
        let runsUntil = running?.season.endsOn ?? Season.standard(year: plan.year - 1).endsOn
        if running?.phase != .closed, today <= runsUntil {
            throw AllocationError.conflict(
                code: "PHASE", message: "the \(plan.year - 1) season runs until \(runsUntil): its stalls are not changed before then")
        }
        _ = try tx.releaseSeasonRegistry(year: plan.year, at: at)
        // Set-based: a national season issues 200,000 permits, under the same rules as one.
        do {
            return try tx.issueAllocatedPermits(season: plan.year, actor: actor, at: at)
        } catch let conflict as AllocationIssueConflict {
            throw AllocationError.conflict(code: "CONFLICT", message: "application \(conflict.applicationNo): \(conflict.reason)")
        }
    }

    static func issue(_ tx: any StoreTransaction, application: ApplicationRecord, slotId: String, actor: String, at: Date) throws -> String {
        guard let vendor = try tx.vendor(id: application.vendorId), let slot = try tx.slot(id: slotId) else {
            throw StoreError.notFound("no vendor \(application.vendorId) or slot \(slotId)")
        }
        do {
            let number = try PermitService.insert(
                tx, vendor: vendor, slot: slot, season: application.season, produce: application.produce, plate: application.vehiclePlate,
                state: .issued, expectedKg: application.expectedKg, certificate: nil, actor: actor, at: at)
            if !application.helpers.isEmpty { try tx.setPermitHelpers(number: number, application.helpers) }
            return number
        } catch StoreError.conflict(let reason) {
            throw AllocationError.conflict(code: "CONFLICT", message: "application \(application.number): \(reason)")
        }
    }

    // MARK: applications

    /// A vendor's application within the window (409 outside it, with the dates): up to the
    /// season's number of sites in order, his household named (one application per household),
    /// refused when he is barred from the season.
    public func apply(
        vendorId: String, season year: Int, _ request: ApplicationRequest, householdHashes: [String], helperHashes: [String] = [],
        certificate: StoredPhoto?, at: Date
    ) async throws -> ApplicationRecord {
        try await store.transaction { tx in
            let plan = try Self.admissible(tx, vendorId: vendorId, season: year, at: at)
            let clean = try ApplicationRequest.validate(request, maxPreferences: plan.maxPreferences)
            guard let vendor = try tx.vendor(id: vendorId) else { throw StoreError.notFound("no vendor \(vendorId)") }
            var district: String?
            for site in clean.preferences {
                guard let found = try tx.seasonSite(year: year, siteId: site) else {
                    throw ValidationError(field: "preferences", message: "site \(site) is not offered in \(year)")
                }
                district = district ?? found.district
            }
            var renewalSlot: String?
            if clean.asksRenewal {
                guard let last = try tx.issuedPermit(vendorId: vendorId, season: year - 1) else {
                    throw ValidationError(field: "renew", message: "you held no permit in \(year - 1) to renew")
                }
                renewalSlot = last.slotId
                if district == nil, let site = try tx.slot(id: last.slotId) { district = site.district }
            }
            guard let district else { throw ValidationError(field: "preferences", message: "name at least one site") }
            let number = ApplicationWorkflow.applicationNumber(season: year, sequence: Int(try tx.nextNumber("application/\(year)")))
            if let certificate { try tx.insertPhoto(certificate, purpose: "certificate", at: at) }
            try tx.insertApplication(
                NewApplication(
                    number: number, season: year, vendorId: vendorId, district: district, request: clean, renewalSlot: renewalSlot,
                    vehiclePlate: clean.vehiclePlate ?? vendor.vehiclePlate, certificatePhoto: certificate?.id,
                    helpers: zip(clean.helpers, helperHashes).map { helper, hash in
                        StoredHelper(name: helper.name, relation: helper.relation, idCardHash: hash, idCardLast4: String(helper.idCardNo.suffix(4)))
                    }, at: at))
            // The applicant and each member once per season: the database refuses a second.
            var members = householdHashes
            if let own = try tx.idCardHash(vendorId: vendorId) { members.insert(own, at: 0) }
            for hash in Set(members) where try !tx.insertHouseholdMember(season: year, idCardHash: hash, applicationNo: number) {
                throw AllocationError.conflict(
                    code: "HOUSEHOLD_HAS_APPLIED",
                    message: "someone in your household is in another application for \(year): one application per household (一户一摊)")
            }
            try tx.audit(
                actor: "vendor:\(vendorId)", action: "application.create", entity: "application", entityId: number, before: nil,
                after: [
                    "season": String(year), "preferences": clean.preferences.joined(separator: ","), "renewal_slot": renewalSlot ?? "",
                    "household_size": String(members.count),
                ], at: at)
            return try tx.application(number: number)!
        }
    }

    /// The checks an application meets before anything of it is read or kept (its photo):
    /// the window, a bar, an application already made. The same as `apply` makes again.
    public func checkAdmissible(vendorId: String, season year: Int, at: Date) async throws {
        _ = try await store.transaction { tx in try Self.admissible(tx, vendorId: vendorId, season: year, at: at) }
    }

    static func admissible(_ tx: any StoreTransaction, vendorId: String, season year: Int, at: Date) throws -> SeasonPlan {
        guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
        let today = BusinessTime.localDate(of: at)
        guard plan.acceptsApplications(on: today) else {
            var details = ["phase": plan.phase.rawValue]
            details["opens_on"] = plan.applicationsOpenOn?.description
            details["closes_on"] = plan.applicationsCloseOn?.description
            let window =
                if let opens = plan.applicationsOpenOn, let closes = plan.applicationsCloseOn { "from \(opens) to \(closes)" } else {
                    "on dates the bureau has not announced yet"
                }
            throw AllocationError.conflict(code: "APPLICATIONS_CLOSED", message: "applications for \(year) are taken \(window)", details: details)
        }
        if let reason = try tx.bar(vendorId: vendorId, season: year) {
            throw AllocationError.conflict(code: "BARRED", message: "you are barred from the \(year) season: \(reason)", details: ["reason": reason])
        }
        if let existing = try tx.application(vendorId: vendorId, season: year) {
            throw AllocationError.conflict(code: "CONFLICT", message: "you have applied for \(year) already: \(existing.number)")
        }
        return plan
    }

    /// Review (初审, with the household's priority verified or not), approval (复审),
    /// rejection with a reason, or the vendor's withdrawal.
    public func decide(
        number: String, action: ApplicationAction, by actor: Account, reason: String?, priorityVerified: Bool?, at: Date
    ) async throws -> ApplicationRecord {
        try await store.transaction { tx in
            guard let application = try tx.application(number: number) else { throw StoreError.notFound("no application \(number)") }
            if actor.role == .vendor, actor.vendorId != application.vendorId { throw StoreError.notFound("no application \(number)") }
            guard let plan = try tx.seasonPlan(year: application.season) else { throw StoreError.notFound("no season \(application.season)") }
            let target = try ApplicationWorkflow.decide(
                action, on: application.state, by: actor, district: application.district, ownVendorId: application.vendorId, phase: plan.phase,
                listPublished: try tx.drawSummary(season: application.season) != nil, reason: reason)
            let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try tx.setApplicationState(number: number, state: target, reason: trimmed?.isEmpty == false ? trimmed : nil, at: at)
            if action == .review, let verified = priorityVerified {
                try tx.setPriorityVerified(number: number, verified && application.priorityClaim != nil)
            }
            if !target.holdsTheSeason { try tx.releaseHousehold(applicationNo: number) }
            var after = ["state": target.rawValue]
            after["reason"] = trimmed
            if action == .review, let verified = priorityVerified { after["priority_verified"] = String(verified) }
            try tx.audit(
                actor: actor.role == .vendor ? "vendor:\(application.vendorId)" : "account:\(actor.username)",
                action: "application.\(action.rawValue)",
                entity: "application", entityId: number, before: ["state": application.state.rawValue], after: after, at: at)
            return try tx.application(number: number)!
        }
    }

    // MARK: the notice and its objections

    /// Anyone may object to an allocation during the notice (异议), with a reason.
    public func object(season year: Int, applicationNo: String, reason: String, at: Date) async throws -> Objection {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (5...500).contains(trimmed.count) else {
            throw ValidationError(field: "reason", message: "say in 5 to 500 characters what is wrong with this allocation")
        }
        return try await store.transaction { tx in
            guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            guard plan.acceptsObjections(on: BusinessTime.localDate(of: at)) else {
                throw AllocationError.conflict(code: "PHASE", message: "objections are heard during the \(year) notice (公示) only")
            }
            guard let application = try tx.application(number: applicationNo), application.season == year, application.state == .qualified else {
                throw ValidationError(field: "application_no", message: "no application \(applicationNo) on the \(year) list")
            }
            let number = ApplicationWorkflow.objectionNumber(season: year, sequence: Int(try tx.nextNumber("objection/\(year)")))
            let objection = Objection(
                number: number, season: year, applicationNo: applicationNo, reason: trimmed, state: .open, answer: nil, createdAt: at, answeredAt: nil
            )
            try tx.insertObjection(objection)
            try tx.audit(
                actor: "public", action: "objection.create", entity: "objection", entityId: number, before: nil,
                after: ["application_no": applicationNo, "reason": trimmed], at: at)
            return objection
        }
    }

    /// The bureau's answer, public: upheld takes the application out and runs the draw again
    /// with the same lots (the next in order moving up); dismissed keeps the allocation.
    public func answer(objection number: String, uphold: Bool, answer: String, by admin: Account, at: Date) async throws -> Objection {
        _ = try Access.require(admin, roles: [.admin])
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...500).contains(trimmed.count) else {
            throw ValidationError(field: "answer", message: "the answer is public: give the reason in 2 to 500 characters")
        }
        let (objection, file) = try await store.transaction { [drawFiles] tx -> (Objection, (DrawRecord, PublishedDraw)?) in
            guard let objection = try tx.objection(number: number) else { throw StoreError.notFound("no objection \(number)") }
            var file: (DrawRecord, PublishedDraw)?
            guard objection.state == .open else {
                throw AllocationError.conflict(code: "CONFLICT", message: "objection \(number) is answered already")
            }
            guard let plan = try tx.seasonPlan(year: objection.season), plan.phase == .notice else {
                throw AllocationError.conflict(code: "PHASE", message: "objections are answered during the notice")
            }
            if uphold {
                guard var record = try tx.draw(season: objection.season) else { throw StoreError.notFound("no draw for \(objection.season)") }
                var published = try drawFiles.cached(record)?.file ?? Draw.Published.decode(Data(record.publishedJSON.utf8))
                let previous = Dictionary((published.results?.allocation ?? []).map { ($0.applicationNo, $0) }, uniquingKeysWith: { a, _ in a })
                if !published.excluded.contains(objection.applicationNo) { published.excluded.append(objection.applicationNo) }
                let results = try published.run()
                published.results = results
                record.excluded = published.excluded
                record.publishedJSON = String(decoding: try published.encoded(), as: UTF8.self)
                try tx.updateDraw(record)
                try tx.setApplicationState(number: objection.applicationNo, state: .excluded, reason: trimmed, at: at)
                try Self.recordOutcome(tx, year: objection.season, previous: previous, results: results, at: at)
                file = (record, PublishedDraw(text: record.publishedJSON, file: published))
            }
            try tx.answerObjection(number: number, state: uphold ? .upheld : .dismissed, answer: trimmed, at: at)
            try tx.audit(
                actor: "account:\(admin.username)", action: uphold ? "objection.uphold" : "objection.dismiss", entity: "objection", entityId: number,
                before: ["state": "open"], after: ["state": uphold ? "upheld" : "dismissed", "answer": trimmed], at: at)
            return (try tx.objection(number: number)!, file)
        }
        if let (record, draw) = file { drawFiles.remember(draw, for: record) }
        return objection
    }

    // MARK: the waitlist through the season

    /// The vendor gives his permit up (退摊): no sanction, and the slot is offered to the next
    /// on the site's waitlist.
    public func surrender(permitNumber: String, by vendor: Account, reason: String?, at: Date) async throws -> PermitRecord {
        try await store.transaction { tx in
            guard let record = try tx.permitRecord(number: permitNumber), record.permit.vendorId == vendor.vendorId else {
                throw StoreError.notFound("no permit \(permitNumber)")
            }
            let state = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: BusinessTime.localDate(of: at))
            guard state == .issued || state == .suspended else {
                throw AllocationError.conflict(code: "CONFLICT", message: "a permit that is \(state.rawValue) cannot be surrendered")
            }
            try tx.setPermitState(number: permitNumber, state: .surrendered, issuedAt: nil, at: at)
            var after = ["state": "surrendered"]
            after["reason"] = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try tx.audit(
                actor: "vendor:\(record.permit.vendorId)", action: "permit.surrender", entity: "permit", entityId: permitNumber,
                before: ["state": state.rawValue], after: after, at: at)
            try Self.slotFreed(tx, season: record.permit.season, slotId: record.permit.slotId, siteId: record.siteId, at: at)
            return try tx.permitRecord(number: permitNumber)!
        }
    }

    /// A slot left free in a season allocated by draw (surrender, revocation, reclamation) is
    /// offered to the next still waiting at its site, or, once the site's list is used up, to the
    /// next of the district in the drawn order, until the season's offer deadline.
    @discardableResult
    static func slotFreed(_ tx: any StoreTransaction, season: Int, slotId: String, siteId: String, at: Date) throws -> WaitlistOffer? {
        guard let plan = try tx.seasonPlan(year: season), plan.phase == .allocated || plan.phase == .inSeason,
            let seed = try tx.drawnSeed(season: season),
            try tx.permitNumber(season: season, holder: .slot(slotId), states: PermitState.live) == nil,
            let place = try tx.slot(id: slotId)
        else { return nil }
        var waiting = try tx.nextWaiting(season: season, siteId: siteId)
        if waiting == nil, let first = Draw.first(of: try tx.waitingInDistrict(season: season, district: place.district), seedHex: seed) {
            waiting = try tx.application(number: first)
        }
        guard let next = waiting else { return nil }
        let number = ApplicationWorkflow.offerNumber(season: season, sequence: Int(try tx.nextNumber("offer/\(season)")))
        let offer = WaitlistOffer(
            number: number, season: season, slotId: slotId, siteId: siteId, district: place.district, applicationNo: next.number, state: .open,
            offeredAt: at, deadline: at.addingTimeInterval(Double(plan.offerHours) * 3600), answeredAt: nil, permitNumber: nil)
        try tx.insertOffer(offer)
        try tx.audit(
            actor: "system", action: "offer.create", entity: "offer", entityId: number, before: nil,
            after: ["slot_id": slotId, "application_no": next.number, "deadline": BusinessTime.rfc3339(offer.deadline)], at: at)
        return offer
    }

    /// The vendor takes the slot offered to him, before the deadline: his permit is issued.
    public func accept(offer number: String, by vendor: Account, at: Date) async throws -> WaitlistOffer {
        try await store.transaction { tx in
            let (offer, application) = try Self.ownOpenOffer(tx, number: number, vendor: vendor)
            guard at <= offer.deadline else {
                try Self.lapse(tx, offer: offer, state: .expired, actor: "system", at: at)
                throw AllocationError.conflict(
                    code: "OFFER_EXPIRED",
                    message: "the offer ran out at \(BusinessTime.rfc3339(offer.deadline)) and went to the next on the waitlist")
            }
            let permit = try Self.issue(tx, application: application, slotId: offer.slotId, actor: "vendor:\(application.vendorId)", at: at)
            try tx.setOffer(number: number, state: .accepted, permitNumber: permit, at: at)
            try tx.setApplicationSlot(number: application.number, slotId: offer.slotId, rank: nil, permitNumber: permit, at: at)
            try tx.audit(
                actor: "vendor:\(application.vendorId)", action: "offer.accept", entity: "offer", entityId: number, before: ["state": "open"],
                after: ["state": "accepted", "permit_no": permit], at: at)
            return try tx.offer(number: number)!
        }
    }

    /// The vendor says no: he leaves the waitlist and the slot goes to the next.
    public func decline(offer number: String, by vendor: Account, at: Date) async throws -> WaitlistOffer {
        try await store.transaction { tx in
            let (offer, application) = try Self.ownOpenOffer(tx, number: number, vendor: vendor)
            try Self.lapse(tx, offer: offer, state: .declined, actor: "vendor:\(application.vendorId)", at: at)
            return try tx.offer(number: number)!
        }
    }

    /// Offers past their deadline lapse and go to the next (the scheduler calls this). Returns how many.
    @discardableResult
    public func expireOffers(now: Date, limit: Int = 200) async throws -> Int {
        try await store.transaction { tx in
            var expired = 0
            for candidate in try tx.overdueOffers(before: now, limit: limit) {
                // Read again under the row's lock: another instance's scheduler may have just expired it.
                guard let offer = try tx.offer(number: candidate.number), offer.state == .open else { continue }
                try Self.lapse(tx, offer: offer, state: .expired, actor: "system", at: now)
                expired += 1
            }
            return expired
        }
    }

    static func ownOpenOffer(_ tx: any StoreTransaction, number: String, vendor: Account) throws -> (WaitlistOffer, ApplicationRecord) {
        guard let offer = try tx.offer(number: number), let application = try tx.application(number: offer.applicationNo),
            application.vendorId == vendor.vendorId
        else { throw StoreError.notFound("no offer \(number)") }
        guard offer.state == .open else { throw AllocationError.conflict(code: "CONFLICT", message: "offer \(number) is \(offer.state.rawValue)") }
        return (offer, application)
    }

    /// An offer declined or run out: the applicant leaves the waitlists; the next is offered the slot.
    static func lapse(_ tx: any StoreTransaction, offer: WaitlistOffer, state: OfferState, actor: String, at: Date) throws {
        try tx.setOffer(number: offer.number, state: state, permitNumber: nil, at: at)
        try tx.setApplicationState(number: offer.applicationNo, state: .lapsed, reason: nil, at: at)
        try tx.audit(
            actor: actor, action: "offer.\(state.rawValue)", entity: "offer", entityId: offer.number, before: ["state": "open"],
            after: ["state": state.rawValue], at: at)
        try slotFreed(tx, season: offer.season, slotId: offer.slotId, siteId: offer.siteId, at: at)
    }

    // MARK: reads

    /// What a vendor sees of his season: the plan, his application, where he waits, his offers.
    public struct VendorView: Sendable {
        public var plan: SeasonPlan
        public var application: ApplicationRecord?
        public var waitlist: [WaitlistPlace]
        public var offers: [WaitlistOffer]
        public var bar: String?
    }

    public func vendorView(vendorId: String, season year: Int) async throws -> VendorView {
        try await store.transaction { tx in
            guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            let application = try tx.application(vendorId: vendorId, season: year)
            return VendorView(
                plan: plan, application: application, waitlist: try application.map { try tx.waitlistPlaces(applicationNo: $0.number) } ?? [],
                offers: try application.map { try tx.offers(applicationNo: $0.number) } ?? [], bar: try tx.bar(vendorId: vendorId, season: year))
        }
    }

    /// The season as the public sees it: phase and dates, the published draw file, the objections.
    public struct PublicView: Sendable {
        public var plan: SeasonPlan
        public var draw: PublishedDraw?
        public var drawn: Bool
        public var objections: [Objection]
        public var slots: [SeasonSlot]
        public var permits: [String: String]
        /// Before `allocate`: the number each allocated application's permit will have.
        public var permitsToBe: [String: String]
    }

    public func publicView(season year: Int, withSlots: Bool = true) async throws -> PublicView {
        try await store.transaction { [drawFiles] tx in
            guard let plan = try tx.seasonPlan(year: year) else { throw StoreError.notFound("no season \(year)") }
            let summary = try tx.drawSummary(season: year)
            let draw = try summary.map { summary in
                try drawFiles.file(for: summary) { try tx.publishedFile(season: year) ?? "" }
            }
            let issued = plan.phase == .allocated || plan.phase == .inSeason || plan.phase == .closed
            return PublicView(
                plan: plan, draw: draw, drawn: summary?.drawnAt != nil, objections: try tx.objections(season: year),
                slots: withSlots ? try tx.seasonSlots(year: year) : [], permits: issued ? try tx.applicationPermits(season: year) : [:],
                permitsToBe: plan.phase == .drawn || plan.phase == .notice ? try tx.permitNumbersToBe(season: year) : [:])
        }
    }

    /// The bureau's and squads' view: every application of the season (a district's for an officer).
    public func applications(season year: Int, district: String?, states: Set<ApplicationState>?) async throws -> [ApplicationRecord] {
        try await store.transaction { tx in
            let all = try tx.applications(season: year, states: states ?? Set(ApplicationState.allCases))
            return district.map { d in all.filter { $0.district == d } } ?? all
        }
    }

    public func offers(season year: Int, district: String?) async throws -> [WaitlistOffer] {
        try await store.transaction { tx in try tx.offers(season: year, district: district, states: Set(OfferState.allCases)) }
    }

    public func seasons() async throws -> [SeasonPlan] {
        try await store.transaction { tx in try tx.seasonPlans() }
    }
}

/// A published draw file: its bytes as kept and what they say.
public struct PublishedDraw: Sendable {
    public let text: String
    public let file: Draw.Published
}

/// The last published files read, by season and the moments that change them (published, drawn,
/// an objection upheld): two at most, so a national file is decoded once, not per request.
/// Files are remembered only once their transaction committed; the key holds the commitment, so
/// a list published and rolled back never stands for another, and the moment drawn as the
/// database keeps it (to the second), so the file just written is the one the page finds.
final class PublishedDrawCache: Sendable {
    private let entries = Mutex<[(key: String, draw: PublishedDraw)]>([])

    static func key(_ summary: DrawRecord) -> String {
        "\(summary.season)|\(summary.commitment)|\(summary.drawnAt.map(BusinessTime.rfc3339) ?? "")|\(summary.excluded.joined(separator: ","))"
    }

    func cached(_ summary: DrawRecord) -> PublishedDraw? {
        let key = Self.key(summary)
        return entries.withLock { $0.first { $0.key == key }?.draw }
    }

    func file(for summary: DrawRecord, load: () throws -> String) throws -> PublishedDraw {
        if let hit = cached(summary) { return hit }
        let text = try load()
        let draw = PublishedDraw(text: text, file: try Draw.Published.decode(Data(text.utf8)))
        remember(draw, for: summary)
        return draw
    }

    func remember(_ draw: PublishedDraw, for summary: DrawRecord) {
        let key = Self.key(summary)
        entries.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.insert((key, draw), at: 0)
            if entries.count > 2 { entries.removeLast(entries.count - 2) }
        }
    }
}
