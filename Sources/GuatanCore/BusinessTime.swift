import Foundation

/// A calendar date in the programme's local time (Asia/Shanghai), `YYYY-MM-DD`.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the parts name a real day of the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`. Byte by byte: statistics and lists parse dates by the thousand.
    public init?(_ text: String) {
        var text = text
        let parsed: (Int, Int, Int)? = text.withUTF8 { bytes in
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                let y = asciiNumber(bytes[0..<4]), let m = asciiNumber(bytes[5..<7]), let d = asciiNumber(bytes[8..<10])
            else { return nil }
            return (y, m, d)
        }
        guard let (y, m, d) = parsed else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var description: String {
        zeroPadded(year, width: 4) + "-" + zeroPadded(month, width: 2) + "-" + zeroPadded(day, width: 2)
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A wall-clock time of day, `HH:MM`, in minutes after local midnight.
public struct LocalTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let minutes: Int

    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.init(minutes: hour * 60 + minute)
    }

    private init(minutes: Int) {
        self.minutes = minutes
    }

    /// Parses `HH:MM` (24-hour clock); `24:00` stands for the end of the day.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), parts.allSatisfy({ $0.allSatisfy(\.isNumber) })
        else { return nil }
        if h == 24 && m == 0 {
            self.init(minutes: 24 * 60)
            return
        }
        self.init(hour: h, minute: m)
    }

    public var description: String {
        zeroPadded(minutes / 60, width: 2) + ":" + zeroPadded(minutes % 60, width: 2)
    }

    public static func < (a: LocalTime, b: LocalTime) -> Bool { a.minutes < b.minutes }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let time = LocalTime(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected HH:MM"))
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The programme's clock face: business dates and hours are those of Asia/Shanghai.
/// China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact
/// for every date the programme can meet and needs no time-zone database on the server.
public enum BusinessTime {
    public static let utcOffsetSeconds = 8 * 3600
    public static let zoneName = "Asia/Shanghai"

    public static func localDate(of instant: Date) -> LocalDate {
        let local = Int((instant.timeIntervalSince1970 + Double(utcOffsetSeconds)).rounded(.down))
        return LocalDate(daysSinceEpoch: Int((Double(local) / 86_400).rounded(.down)))
    }

    public static func localTime(of instant: Date) -> LocalTime {
        let local = Int((instant.timeIntervalSince1970 + Double(utcOffsetSeconds)).rounded(.down))
        let secondOfDay = ((local % 86_400) + 86_400) % 86_400
        return LocalTime(hour: secondOfDay / 3600, minute: (secondOfDay % 3600) / 60)!
    }

    /// The instant at which `time` strikes on `date`.
    public static func instant(of date: LocalDate, at time: LocalTime) -> Date {
        let seconds = date.daysSinceEpoch * 86_400 + time.minutes * 60 - utcOffsetSeconds
        return Date(timeIntervalSince1970: Double(seconds))
    }

    /// RFC 3339 with the local offset, as the API writes instants: `2026-07-15T09:03:12+08:00`.
    public static func rfc3339(_ instant: Date) -> String {
        let date = localDate(of: instant)
        let local = Int((instant.timeIntervalSince1970 + Double(utcOffsetSeconds)).rounded(.down))
        let secondOfDay = ((local % 86_400) + 86_400) % 86_400
        // Built by hand: Foundation's String(format:) is slow on Linux, and every answer carries instants.
        return date.description + "T" + zeroPadded(secondOfDay / 3600, width: 2) + ":" + zeroPadded((secondOfDay % 3600) / 60, width: 2) + ":"
            + zeroPadded(secondOfDay % 60, width: 2) + "+08:00"
    }

    /// Parses an RFC 3339 instant with `Z` or a numeric offset, fractional seconds allowed.
    public static func parseInstant(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = asciiNumber(bytes[0..<4]), let month = asciiNumber(bytes[5..<7]), let day = asciiNumber(bytes[8..<10]),
            let date = LocalDate(year: year, month: month, day: day),
            let hour = asciiNumber(bytes[11..<13]), (0...23).contains(hour),
            let minute = asciiNumber(bytes[14..<16]), (0...59).contains(minute),
            let second = asciiNumber(bytes[17..<19]), (0...60).contains(second)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start, let f = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
            fraction = f
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard bytes.count == index + 6, bytes[index + 3] == UInt8(ascii: ":"),
                let oh = asciiNumber(bytes[(index + 1)..<(index + 3)]), (0...23).contains(oh),
                let om = asciiNumber(bytes[(index + 4)..<(index + 6)]), (0...59).contains(om)
            else { return nil }
            offset = (oh * 3600 + om * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}

/// The server's sense of now. Injected everywhere a rule needs the time, so tests and
/// demos can fix it; the client's clock never decides anything.
public struct ServiceClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public func now() -> Date { read() }

    public static let system = ServiceClock { Date() }

    /// A clock that reads `start` now and runs on at real speed (`serve --now`).
    public static func starting(at start: Date) -> ServiceClock {
        let shift = start.timeIntervalSinceNow
        return ServiceClock { Date().addingTimeInterval(shift) }
    }

    /// A clock stopped at one instant, for tests.
    public static func fixed(_ instant: Date) -> ServiceClock {
        ServiceClock { instant }
    }
}

/// The value of a run of ASCII digits; nil when any byte is not a digit or the run is empty.
func asciiNumber<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
    guard !bytes.isEmpty else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}
