import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import NIOPosix
import Synchronization

/// Citizens' reports (市民监督) and their case loop: intake without an account, a tracking
/// code for the reporter, public cases for everyone, the loop for the district's officers.
struct ReportRoutes {
    let reports: any ReportStore
    let workflow: ReportService
    /// Inspection photos are served by the same route, to staff only.
    let inspections: any InspectionStore
    let photos: PhotoIntake
    let limiter: ReportRateLimiter
    /// A stall's page counts its open cases: a report's steps drop that page.
    let stallPages: StallPageCache
    /// Public lists of cases, kept for a second; any report's step drops them all.
    let lists: MicroCache
    let clock: ServiceClock

    /// Three photos of 5 MB, a voice note of 1 MB and the fields.
    static let intakeLimit = ReportRules.maxPhotos * PhotoRules.maxBytes + VoiceRules.maxBytes + 256 * 1024

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/reports") { request, context in try await submit(request, context) }
        routes.post("/api/v1/staff/reports") { request, context in try await submit(request, context, staff: true) }
        routes.get("/api/v1/reports") { request, context in
            let filter = try ReportListFilter(request)
            return try await list(filter, context)
        }
        routes.get("/api/v1/reports/{report_id}") { request, context in
            let crs = try Query(request).coordinateSystem()
            return try await show(crs, context)
        }
        routes.post("/api/v1/reports/{report_id}/transitions") { request, context in try await transition(request, context) }
        routes.get("/api/v1/reports/track/{tracking_code}") { request, context in
            let crs = try Query(request).coordinateSystem()
            return try await track(crs, context)
        }
        routes.post("/api/v1/reports/track/{tracking_code}/rating") { request, context in try await rate(request, context) }
        routes.post("/api/v1/reports/track/{tracking_code}/reopen") { request, context in try await reopen(request, context) }
        routes.get("/api/v1/report-categories") { _, _ in try await categories() }
        routes.get("/api/v1/photos/{photo_id}") { request, context in try await photo(request, context) }
        routes.get("/api/v1/reports/{report_id}/voice") { request, context in try await voice(request, context) }
    }

    /// A citizen's report, or (`staff`) one a call taker, an administrator or an officer enters
    /// for the hotline, a visitor or what he saw on patrol: signed in, not rate-limited by address.
    func submit(_ request: Request, _ context: GuatanRequestContext, staff: Bool = false) async throws -> Response {
        let now = clock.now()
        let staffAccount = staff ? try context.require(.callTaker, .admin, .officer) : nil
        // Every attempt counts, refused ones too: a stream of bad reports costs its sender.
        if !staff { try await limiter.admit(address: context.limitKey, at: now) }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("multipart/form-data") else {
            let fields = try await JSONBody.decode(JSONIntake.self, from: request, context: context, limit: 16 * 1024)
            return try await accept(fields, uploads: [], context, staff: staffAccount, at: now)
        }
        return try await photos.uploads.run {
            let form = try await MultipartForm.read(request, limit: Self.intakeLimit)
            let uploads = form.files(named: "photo").map(\.bytes)
            let voices = form.files(named: "voice").map(\.bytes)
            if !staff {
                let bytes = uploads.reduce(0) { $0 + $1.count } + voices.reduce(0) { $0 + $1.count }
                try await limiter.charge(address: context.limitKey, bytes: bytes, at: now)
            }
            var fields = try JSONIntake(
                category: form.field("category"), description: form.fields["description"]?.last, slotId: form.field("slot_id"),
                permitNo: form.field("permit_no"), lat: Self.number(form.field("lat"), field: "lat"),
                lng: Self.number(form.field("lng"), field: "lng"),
                crs: form.field("crs"), contactPhone: form.field("contact_phone"))
            fields.notifySms = ["1", "true", "on", "yes"].contains(form.field("notify_sms")?.lowercased() ?? "")
            fields.channel = form.field("channel")
            guard uploads.count <= ReportRules.maxPhotos else {
                throw APIError.validation("at most \(ReportRules.maxPhotos) photos", field: "photo")
            }
            guard voices.count <= 1 else { throw APIError.validation("one voice note a report", field: "voice") }
            return try await accept(fields, uploads: uploads, voice: voices.first, context, staff: staffAccount, at: now)
        }
    }

    func accept(
        _ fields: JSONIntake, uploads: [[UInt8]], voice: [UInt8]? = nil, _ context: GuatanRequestContext, staff: Account? = nil, at now: Date
    ) async throws -> Response {
        var channel = ReportChannel.web
        if let staff {
            guard let raw = fields.channel, let asked = ReportChannel(rawValue: raw.lowercased()), ReportChannel.staff.contains(asked) else {
                throw APIError.validation("channel must be one of hotline, walk_in, officer", field: "channel")
            }
            guard ReportChannel.mayEnter(asked, as: staff.role) else {
                throw AccessError.forbidden(
                    asked == .officer
                        ? "only officers enter what they saw on patrol" : "hotline and walk-in reports are entered by call takers and administrators")
            }
            channel = asked
        }
        let (category, description, phone) = try ReportRules.validate(
            category: fields.category, description: fields.description, contactPhone: fields.contactPhone)
        let subject: ReportIntake.Subject
        if let slot = fields.slotId?.trimmingCharacters(in: .whitespaces), !slot.isEmpty {
            subject = .slot(slot.uppercased())
        } else if let permit = fields.permitNo?.trimmingCharacters(in: .whitespaces), !permit.isEmpty {
            subject = .permit(permit.uppercased())
        } else {
            guard let lat = fields.lat else { throw APIError.validation("give slot_id, permit_no, or the place's lat and lng", field: "lat") }
            guard let lng = fields.lng else { throw APIError.validation("lng is required with lat", field: "lng") }
            subject = .place(try PositionInput.parse(lat: lat, lng: lng, crs: fields.crs))
        }
        let code = TrackingCode.make()
        let intake = ReportIntake(category: category, description: description, subject: subject, contactPhone: phone)
        let notify = fields.notifySms ?? false
        if notify, phone == nil {
            throw APIError.validation("to be told by SMS, leave a mobile number in contact_phone", field: "notify_sms")
        }
        let report = try await photos.keeping(uploads, field: "photo", voice: voice) { [workflow] stored, voice in
            try await workflow.submit(
                intake, photos: stored, voice: voice, trackingHash: TrackingCode.hash(code), channel: channel, enteredBy: staff, notifySMS: notify,
                at: now)
        }
        let body = SubmittedBody(
            reportId: report.id, trackingCode: code, status: report.state.rawValue, district: report.district,
            dueAt: report.dueAt.map(BusinessTime.rfc3339), duplicateOf: report.duplicateOf)
        return try APIJSON.response(body, status: .created, headers: [.cacheControl: "no-store"])
    }

    func list(_ filter: ReportListFilter, _ context: GuatanRequestContext) async throws -> Response {
        let body = try await lists.body(for: filter.cacheKey) { [reports, clock] in
            let page = try await reports.reports(matching: filter.store, page: filter.page)
            return ByteBuffer(bytes: try APIJSON.encoder().encode(ReportListBody(page, now: clock.now(), crs: filter.crs)))
        }
        return Response(status: .ok, headers: [.contentType: APIJSON.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: body))
    }

    func show(_ crs: CoordinateSystem, _ context: GuatanRequestContext) async throws -> Response {
        let id = try context.parameters.require("report_id").uppercased()
        guard let report = try await reports.report(id: id) else { throw APIError.notFound("no report \(id)") }
        // The district's officers and administrators also see the contact and internal notes.
        let staff = context.account.map { Access.covers($0, district: report.district) } ?? false
        let body = ReportBody(report, view: staff ? .staff : .public, now: clock.now(), crs: crs)
        return try APIJSON.response(body, headers: [.cacheControl: staff ? "no-store" : "no-cache"])
    }

    func track(_ crs: CoordinateSystem, _ context: GuatanRequestContext) async throws -> Response {
        let code = try context.parameters.require("tracking_code")
        guard let report = try await reports.report(trackingHash: TrackingCode.hash(code)) else {
            throw APIError.notFound("no report with this tracking code")
        }
        var body = ReportBody(report, view: .reporter, now: clock.now(), crs: crs)
        if let main = report.duplicateOf, let mainCase = try await reports.report(id: main) {
            body.mainCase = MainCase(ReportBody(mainCase, view: .public, now: clock.now(), crs: crs))
        }
        return try APIJSON.response(body, headers: [.cacheControl: "no-store"])
    }

    func transition(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let id = try context.parameters.require("report_id").uppercased()
        let input = try await JSONBody.decode(TransitionInput.self, from: request, context: context, limit: 8192)
        guard let action = ReportAction(rawValue: input.action), action != .reopen else {
            throw APIError.validation(
                "action must be one of \(ReportAction.allCases.filter { $0 != .reopen }.map(\.rawValue).joined(separator: ", "))", field: "action")
        }
        for (name, note) in [("public_note", input.publicNote), ("internal_note", input.internalNote)] where (note?.count ?? 0) > 1000 {
            throw APIError.validation("\(name) must have at most 1000 characters", field: name)
        }
        var sendBack: SendBackReason?
        if let raw = input.reason {
            guard let reason = SendBackReason(rawValue: raw.lowercased()) else {
                throw APIError.validation("reason must be one of \(SendBackReason.allCases.map(\.rawValue).joined(separator: ", "))", field: "reason")
            }
            sendBack = reason
        }
        let report = try await workflow.transition(
            reportId: id, action: action, by: actor, publicNote: input.publicNote, internalNote: input.internalNote, duplicateOf: input.duplicateOf,
            sendBack: sendBack, district: input.district?.uppercased(), at: clock.now())
        return try APIJSON.response(ReportBody(report, view: .staff, now: clock.now(), crs: .wgs84), headers: [.cacheControl: "no-store"])
    }

    func rate(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let code = try context.parameters.require("tracking_code")
        let input = try await JSONBody.decode(RatingInput.self, from: request, context: context, limit: 4096)
        try ReportRules.validateRatingInput(score: input.score, comment: input.comment)
        let report = try await workflow.rate(trackingHash: TrackingCode.hash(code), score: input.score, comment: input.comment, at: clock.now())
        return try APIJSON.response(ReportBody(report, view: .reporter, now: clock.now(), crs: .wgs84), headers: [.cacheControl: "no-store"])
    }

    func reopen(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let code = try context.parameters.require("tracking_code")
        let input = try await JSONBody.decode(ReopenInput.self, from: request, context: context, limit: 4096)
        let note = input.note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...1000).contains(note.count) else {
            throw APIError.validation("say what is still wrong (1–1000 characters)", field: "note")
        }
        let report = try await workflow.reopen(trackingHash: TrackingCode.hash(code), note: note, at: clock.now())
        return try APIJSON.response(ReportBody(report, view: .reporter, now: clock.now(), crs: .wgs84), headers: [.cacheControl: "no-store"])
    }

    func categories() async throws -> Response {
        let items = try await reports.reportCategories().map {
            CategoryBody(code: $0.category.rawValue, name: $0.category.nameZh, nameEn: $0.category.nameEn, timeLimitMinutes: $0.timeLimitMinutes)
        }
        return try APIJSON.response(ListBody(items: items))
    }

    /// Reports' photos are public evidence, named by their content, so cached for good.
    /// Inspection photos are the officers' record: their district's officers and administrators
    /// only, never kept by a shared cache; anyone else is told there is no such photo.
    func photo(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let raw = try context.parameters.require("photo_id")
        let id = (raw.split(separator: ".").first.map(String.init) ?? raw).lowercased()
        guard id.count == 64, id.allSatisfy(\.isHexDigit) else { throw APIError.notFound("no photo \(raw)") }
        let photo: StoredPhoto
        let cacheControl: String
        if let found = try await reports.publicPhoto(id: id) {
            (photo, cacheControl) = (found, "public, max-age=31536000, immutable")
        } else if let account = context.account, account.role != .vendor, let found = try await inspections.inspectionPhoto(id: id),
            found.districts.contains(where: { Access.covers(account, district: $0) })
        {
            (photo, cacheControl) = (found.photo, "private, no-store")
        } else {
            throw APIError.notFound("no photo \(raw)")
        }
        let etag = "\"\(photo.id.prefix(32))\""
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: cacheControl])
        }
        let files = photos.files
        let data = try await NIOThreadPool.singleton.runIfActive { try files.read(photo) }
        return Response(
            status: .ok, headers: [.contentType: photo.type.rawValue, .cacheControl: cacheControl, .eTag: etag],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A report's voice note: the district's officers and administrators only (403 for anyone
    /// else), never kept by a shared cache.
    func voice(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let account = try context.require(.officer, .admin)
        let id = try context.parameters.require("report_id").uppercased()
        guard let report = try await reports.report(id: id) else { throw APIError.notFound("no report \(id)") }
        try Access.requireDistrict(account, report.district)
        guard let note = report.voiceNote else { throw APIError.notFound("report \(id) has no voice note") }
        let etag = "\"\(note.id.prefix(32))\""
        let headers: HTTPFields = [.eTag: etag, .cacheControl: "private, no-store"]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        let files = photos.files
        let data = try await NIOThreadPool.singleton.runIfActive { try files.read(note) }
        var fields = headers
        fields[.contentType] = note.format.rawValue
        fields[.contentDisposition] = "inline; filename=\"\(report.id)-voice.\(note.format.fileExtension)\""
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func number(_ raw: String?, field: String) throws -> Double? {
        guard let raw else { return nil }
        guard let value = Double(raw) else { throw APIError.validation("\(field) must be a number", field: field) }
        return value
    }
}

extension ReportRules {
    static func validateRatingInput(score: Int, comment: String?) throws {
        do {
            try ReportWorkflow.validateRating(score: score, comment: comment)
        } catch {
            throw APIError.validation(error.message, field: error.field)
        }
    }
}

/// Tracking codes: 80 random bits as 16 characters of Crockford's base32 (no I, L, O, U), easy
/// to read out on the phone; only their SHA-256 is stored.
enum TrackingCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
    }

    static func hash(_ code: String) -> String {
        Digest.sha256Hex(Data(code.uppercased().utf8))
    }
}

/// Report attempts per client address per hour (`--report-rate`, 0 turns it off) and the
/// photo bytes one address may send in that hour (`--report-upload-mb`). Every attempt counts,
/// accepted or refused, so bad requests cost their sender and no one else. Counted in memory
/// first (a flood is refused without touching the database) and, where several instances share
/// a database (`shared`), there too per clock hour, so that an address gets what one instance
/// would allow however many there are. A restart forgets the memory's count, not the database's.
final class ReportRateLimiter: Sendable {
    let perHour: Int
    let bytesPerHour: Int
    let shared: (any RequestLimitStore)?
    private let window: TimeInterval = 3600
    private struct Usage {
        var attempts: [Date] = []
        var uploads: [(at: Date, bytes: Int)] = []
    }
    private let recent = Mutex<[String: Usage]>([:])
    /// The last clock hour whose older counts were forgotten in the shared store.
    private let forgotten = Mutex<Int64>(0)

    init(perHour: Int, bytesPerHour: Int = 50 << 20, shared: (any RequestLimitStore)? = nil) {
        self.perHour = perHour
        self.bytesPerHour = bytesPerHour
        self.shared = shared
    }

    /// Counts the attempt, or refuses it (429 with `Retry-After`) when the address has used
    /// its hour's reports or bytes. Checked and counted under one lock, so parallel requests
    /// cannot all slip through.
    func admit(address: String, at now: Date) async throws {
        guard perHour > 0 else { return }
        let wait: Int? = recent.withLock { recent in
            var usage = recent[address] ?? Usage()
            usage.attempts.removeAll { now.timeIntervalSince($0) >= window }
            usage.uploads.removeAll { now.timeIntervalSince($0.at) >= window }
            defer {
                recent[address] = usage
                // Forget idle addresses now and then so the table stays bounded.
                if recent.count > 10_000 {
                    recent = recent.filter { $0.value.attempts.contains { now.timeIntervalSince($0) < window } }
                }
            }
            if usage.attempts.count >= perHour, let oldest = usage.attempts.first {
                return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
            }
            if usage.uploads.reduce(0, { $0 + $1.bytes }) >= bytesPerHour, let oldest = usage.uploads.first {
                return max(1, Int((window - now.timeIntervalSince(oldest.at)).rounded(.up)))
            }
            usage.attempts.append(now)
            return nil
        }
        if let wait { throw Self.refusal(wait) }
        guard let shared else { return }
        let hour = Self.hour(now)
        await forgetOldHours(shared, hour: hour)
        guard try await shared.countAttempt(address: address, hour: hour, maxAttempts: perHour, maxBytes: bytesPerHour) else {
            throw Self.refusal(Self.secondsLeft(in: now))
        }
    }

    /// Counts an attempt's photo bytes; refuses it when they take the address past its budget.
    func charge(address: String, bytes: Int, at now: Date) async throws {
        guard perHour > 0, bytes > 0 else { return }
        let over: Bool = recent.withLock { recent in
            var usage = recent[address] ?? Usage()
            let used = usage.uploads.filter { now.timeIntervalSince($0.at) < window }.reduce(0) { $0 + $1.bytes }
            usage.uploads.append((now, bytes))
            recent[address] = usage
            return used + bytes > bytesPerHour
        }
        var refused = over
        if !over, let shared {
            refused = try await !shared.countBytes(address: address, hour: Self.hour(now), bytes: bytes, maxBytes: bytesPerHour)
        }
        if refused {
            throw APIError(
                .tooManyRequests, code: "RATE_LIMITED", message: "this address has sent too many photo bytes this hour; try again later",
                headers: [.retryAfter: "600"])
        }
    }

    private static func refusal(_ wait: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "RATE_LIMITED", message: "too many reports from this address; try again in \(wait) s",
            headers: [.retryAfter: String(wait)])
    }

    static func hour(_ now: Date) -> Int64 { Int64((now.timeIntervalSince1970 / 3600).rounded(.down)) }

    static func secondsLeft(in now: Date) -> Int {
        max(1, Int((Double(hour(now) + 1) * 3600 - now.timeIntervalSince1970).rounded(.up)))
    }

    /// Once an hour per process, the shared counts of hours gone are dropped (bounded table).
    private func forgetOldHours(_ shared: any RequestLimitStore, hour: Int64) async {
        let due = forgotten.withLock { last in
            guard last < hour else { return false }
            last = hour
            return true
        }
        if due { try? await shared.forgetLimits(before: hour - 1) }
    }
}

final class MainCase: Encodable {
    let body: ReportBody

    init(_ body: ReportBody) {
        self.body = body
    }

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
    }
}
