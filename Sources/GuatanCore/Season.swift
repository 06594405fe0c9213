/// One year's programme (应季自产自销瓜果临时摊点): the days stalls may open and the
/// daily hours. Lanzhou's rule is 15 June to 15 October inclusive, 06:00 to 22:00.
public struct Season: Sendable, Hashable, Codable {
    public var year: Int
    public var startsOn: LocalDate
    public var endsOn: LocalDate
    public var opensAt: LocalTime
    public var closesAt: LocalTime

    public static let defaultOpensAt = LocalTime(hour: 6, minute: 0)!
    public static let defaultClosesAt = LocalTime(hour: 22, minute: 0)!

    public init(year: Int, startsOn: LocalDate, endsOn: LocalDate, opensAt: LocalTime, closesAt: LocalTime) throws(ValidationError) {
        guard startsOn.year == year, endsOn.year == year else {
            throw ValidationError(field: "starts_on", message: "a season's days must fall within its year \(year)")
        }
        guard startsOn <= endsOn else {
            throw ValidationError(field: "ends_on", message: "the season must end on or after the day it starts")
        }
        guard opensAt < closesAt else {
            throw ValidationError(field: "closes_at", message: "daily hours must close after they open")
        }
        self.year = year
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.opensAt = opensAt
        self.closesAt = closesAt
    }

    /// The programme's standard season for a year: 06-15 to 10-15, 06:00–22:00.
    public static func standard(year: Int) -> Season {
        // The dates are valid for any year 1...9999, so the force-unwraps cannot fail there.
        let clamped = min(max(year, 1), 9999)
        return try! Season(
            year: clamped,
            startsOn: LocalDate(year: clamped, month: 6, day: 15)!,
            endsOn: LocalDate(year: clamped, month: 10, day: 15)!,
            opensAt: defaultOpensAt, closesAt: defaultClosesAt)
    }

    public func contains(_ date: LocalDate) -> Bool {
        startsOn <= date && date <= endsOn
    }

    /// Number of season days, both ends included.
    public var dayCount: Int {
        endsOn.daysSinceEpoch - startsOn.daysSinceEpoch + 1
    }

    /// Whether stalls may trade at this time of day (opening inclusive, closing exclusive).
    public func isWithinHours(_ time: LocalTime) -> Bool {
        opensAt <= time && time < closesAt
    }
}
