import Foundation

extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }

    /// ISO 8601 in UTC with microseconds, PostgreSQL's own precision.
    public var postgresText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int64((micros / 1_000_000).rounded(.down))
        var fraction = Int64(micros) - seconds * 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        let (date, time) = Self.civil(fromUnixSeconds: seconds)
        return "\(date) \(time).\(String(format: "%06lld", fraction))+00"
    }

    public static let acceptedPostgresTypes: Set<PostgresType> = [.timestamptz, .timestamp]

    /// Reads `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`, the ISO output the client session asks for
    /// (`DateStyle=ISO`, `TimeZone=UTC`); a timestamp without zone is taken as UTC.
    public init?(postgresText: String, type: PostgresType) {
        let text = Substring(postgresText)
        guard text.count >= 19, let day = LocalDate(postgresText: String(text.prefix(10)), type: .date) else { return nil }
        let timeStart = text.index(text.startIndex, offsetBy: 11)
        let timePart = text[timeStart...]
        let clock = timePart.prefix(8).split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        var rest = timePart.dropFirst(8)
        var micros = 0.0
        if rest.first == "." {
            rest = rest.dropFirst()
            let digits = rest.prefix(while: \.isNumber)
            rest = rest.dropFirst(digits.count)
            micros = (Double("0." + digits) ?? 0) * 1_000_000
        }
        var offsetSeconds = 0
        if let sign = rest.first, sign == "+" || sign == "-" {
            let parts = rest.dropFirst().split(separator: ":")
            guard let hours = parts.first.flatMap({ Int($0) }) else { return nil }
            let minutes = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            let seconds = parts.count > 2 ? Int(parts[2]) ?? 0 : 0
            offsetSeconds = (hours * 3600 + minutes * 60 + seconds) * (sign == "-" ? -1 : 1)
        }
        let days = day.daysSinceUnixEpoch
        let total = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        self.init(timeIntervalSince1970: Double(total) + micros.rounded() / 1_000_000)
    }

    static func civil(fromUnixSeconds seconds: Int64) -> (date: String, time: String) {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let date = LocalDate(daysSinceUnixEpoch: Int(days))
        let time = String(format: "%02lld:%02lld:%02lld", secondOfDay / 3600, (secondOfDay % 3600) / 60, secondOfDay % 60)
        return (date.postgresText, time)
    }
}
