import Foundation
import GuatanCore
import Testing

@Suite("Business time and seasons")
struct BusinessTimeTests {
    @Test(
        "local dates parse strictly",
        arguments: [
            ("2026-06-15", true), ("2024-02-29", true), ("2026-02-29", false), ("2026-13-01", false),
            ("2026-6-15", false), ("20260615", false), ("2026-06-15T00:00", false), ("abcd-ef-gh", false), ("", false),
            ("2100-02-29", false), ("2000-02-29", true),
        ])
    func parseDates(text: String, valid: Bool) {
        #expect((LocalDate(text) != nil) == valid)
        if let date = LocalDate(text) { #expect(date.description == text) }
    }

    @Test("days since epoch round-trip over four centuries")
    func epochDays() {
        #expect(LocalDate("1970-01-01")!.daysSinceEpoch == 0)
        #expect(LocalDate("2026-06-15")!.daysSinceEpoch == 20619)
        for day in stride(from: -150_000, through: 150_000, by: 97) {
            #expect(LocalDate(daysSinceEpoch: day).daysSinceEpoch == day)
        }
    }

    @Test("a UTC instant falls on the Asia/Shanghai date and time")
    func localDateOfInstant() {
        // 2026-06-14T16:30:00Z is 00:30 on 15 June in Lanzhou.
        let instant = BusinessTime.parseInstant("2026-06-14T16:30:00Z")!
        #expect(BusinessTime.localDate(of: instant) == LocalDate("2026-06-15"))
        #expect(BusinessTime.localTime(of: instant) == LocalTime("00:30"))
        #expect(BusinessTime.rfc3339(instant) == "2026-06-15T00:30:00+08:00")
        // 15:59:59Z is still the same local day, 16:00Z the next.
        #expect(BusinessTime.localDate(of: BusinessTime.parseInstant("2026-06-15T15:59:59Z")!) == LocalDate("2026-06-15"))
        #expect(BusinessTime.localDate(of: BusinessTime.parseInstant("2026-06-15T16:00:00Z")!) == LocalDate("2026-06-16"))
    }

    @Test(
        "RFC 3339 instants parse with offsets and fractions, and refuse malformed text",
        arguments: [
            ("2026-07-15T09:03:12+08:00", 1_784_077_392.0),
            ("2026-07-15T01:03:12Z", 1_784_077_392.0),
            ("2026-07-15T01:03:12.250Z", 1_784_077_392.25),
            ("2026-07-14T20:03:12-05:00", 1_784_077_392.0),
        ])
    func parseInstants(text: String, seconds: Double) {
        #expect(BusinessTime.parseInstant(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(
        "malformed instants are refused",
        arguments: [
            "2026-07-15", "2026-07-15T09:03:12", "2026-07-15T25:00:00Z", "2026-02-30T00:00:00Z", "2026-07-15T09:03:12+8:00",
            "2026-07-15T09:03:12+08:00x", "yesterday", "",
        ])
    func refuseInstants(text: String) {
        #expect(BusinessTime.parseInstant(text) == nil)
    }

    @Test("instant(of:at:) is the inverse of localDate/localTime")
    func instantOfLocal() {
        let date = LocalDate("2026-07-15")!
        let time = LocalTime("06:00")!
        let instant = BusinessTime.instant(of: date, at: time)
        #expect(BusinessTime.rfc3339(instant) == "2026-07-15T06:00:00+08:00")
        #expect(BusinessTime.localDate(of: instant) == date)
        #expect(BusinessTime.localTime(of: instant) == time)
    }

    @Test("the standard season runs 15 June to 15 October inclusive, 06:00–22:00")
    func standardSeason() {
        let season = Season.standard(year: 2026)
        #expect(season.startsOn == LocalDate("2026-06-15"))
        #expect(season.endsOn == LocalDate("2026-10-15"))
        #expect(season.dayCount == 123)
        #expect(!season.contains(LocalDate("2026-06-14")!))
        #expect(season.contains(LocalDate("2026-06-15")!))
        #expect(season.contains(LocalDate("2026-10-15")!))
        #expect(!season.contains(LocalDate("2026-10-16")!))
        #expect(!season.isWithinHours(LocalTime("05:59")!))
        #expect(season.isWithinHours(LocalTime("06:00")!))
        #expect(season.isWithinHours(LocalTime("21:59")!))
        #expect(!season.isWithinHours(LocalTime("22:00")!))
    }

    @Test("a season must fall in its year, end after it starts and close after it opens")
    func seasonValidation() {
        let june = LocalDate("2026-06-15")!
        let october = LocalDate("2026-10-15")!
        let six = LocalTime("06:00")!
        let ten = LocalTime("22:00")!
        #expect(throws: ValidationError.self) { try Season(year: 2026, startsOn: october, endsOn: june, opensAt: six, closesAt: ten) }
        #expect(throws: ValidationError.self) { try Season(year: 2027, startsOn: june, endsOn: october, opensAt: six, closesAt: ten) }
        #expect(throws: ValidationError.self) { try Season(year: 2026, startsOn: june, endsOn: october, opensAt: ten, closesAt: six) }
        #expect(throws: Never.self) { try Season(year: 2026, startsOn: june, endsOn: october, opensAt: six, closesAt: ten) }
    }

    @Test(
        "times of day parse as HH:MM",
        arguments: [
            ("06:00", true), ("23:59", true), ("24:00", true), ("24:01", false), ("6:00", false), ("06:60", false), ("ab:cd", false),
        ])
    func parseTimes(text: String, valid: Bool) {
        #expect((LocalTime(text) != nil) == valid)
    }

    @Test("a clock started at an instant runs on from it")
    func startingClock() async throws {
        let start = BusinessTime.parseInstant("2026-07-15T09:00:00+08:00")!
        let clock = ServiceClock.starting(at: start)
        let first = clock.now()
        #expect(abs(first.timeIntervalSince(start)) < 1)
        try await Task.sleep(for: .milliseconds(30))
        #expect(clock.now() > first)
    }
}
