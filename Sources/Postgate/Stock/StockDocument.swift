import Foundation
import Postgres

/// One serial on a stock line: a unique serial is one unit (no quantity); a batch serial
/// carries the quantity it covers on this line. Expiry is given when the serial is first
/// received, for products that track it.
public struct SerialEntry: Sendable, Hashable, Codable {
    public var serial: String
    public var quantity: Decimal?
    public var expiry: LocalDate?
    /// On a kit's line: the component the serial belongs to, when the kit has several that track
    /// serials and the serial does not say which by itself.
    public var product: String?

    public init(_ serial: String, quantity: Decimal? = nil, expiry: LocalDate? = nil, product: String? = nil) {
        self.serial = serial
        self.quantity = quantity
        self.expiry = expiry
        self.product = product
    }
}

/// A line of a receipt, transfer or write-off.
public struct StockLine: Sendable, Hashable, Codable {
    public var product: String
    public var quantity: Decimal
    public var serials: [SerialEntry]

    public init(product: String, quantity: Decimal, serials: [SerialEntry] = []) {
        self.product = product
        self.quantity = quantity
        self.serials = serials
    }

    /// Reads the command line's form `PRODUCT:QUANTITY[:SERIALS]`, where SERIALS is a
    /// comma-separated list of `SERIAL[=QUANTITY][@YYYY-MM-DD]`.
    public init(parsing text: String) throws(DomainError) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        func invalid(_ why: String) -> DomainError {
            DomainError(
                kind: .invalid, field: "line", message: "line '\(text)': \(why)",
                hint: "Write a line as PRODUCT:QUANTITY[:SERIAL[=QUANTITY][@EXPIRY],...], e.g. TV55:2:SN1,SN2 or CARPET:60:ROLL7=60@2027-01-31")
        }
        guard parts.count >= 2, !parts[0].isEmpty else { throw invalid("it needs a product and a quantity") }
        guard let quantity = Decimal(decimalLiteral: parts[1]) else { throw invalid("'\(parts[1])' is not a quantity") }
        var serials: [SerialEntry] = []
        if parts.count == 3 {
            for item in parts[2].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                var rest = Substring(item)
                var expiry: LocalDate?
                if let at = rest.lastIndex(of: "@") {
                    let date = String(rest[rest.index(after: at)...])
                    guard let parsed = LocalDate(date) else { throw invalid("'\(date)' is not a date (YYYY-MM-DD)") }
                    expiry = parsed
                    rest = rest[..<at]
                }
                var serialQuantity: Decimal?
                if let equals = rest.lastIndex(of: "=") {
                    let amount = String(rest[rest.index(after: equals)...])
                    guard let parsed = Decimal(decimalLiteral: amount) else { throw invalid("'\(amount)' is not a quantity") }
                    serialQuantity = parsed
                    rest = rest[..<equals]
                }
                guard !rest.isEmpty else { throw invalid("a serial is empty") }
                serials.append(SerialEntry(String(rest), quantity: serialQuantity, expiry: expiry))
            }
        }
        self.init(product: parts[0], quantity: quantity, serials: serials)
    }
}

/// What moves stock, and where.
public enum StockMovement: Sendable, Hashable {
    case receipt(location: String)
    case transfer(from: String, to: String)
    case writeOff(location: String)
}

/// A receipt, transfer or write-off: posted whole, or not at all.
public struct StockDocument: Sendable, Hashable {
    public var movement: StockMovement
    public var date: LocalDate?
    public var reference: String?
    public var notes: String?
    public var lines: [StockLine]

    public init(_ movement: StockMovement, lines: [StockLine], date: LocalDate? = nil, reference: String? = nil, notes: String? = nil) {
        self.movement = movement
        self.lines = lines
        self.date = date
        self.reference = reference
        self.notes = notes
    }

    /// The JSON object the `api.post_*` functions take.
    var json: String {
        struct Body: Encodable {
            var location: String?
            var from: String?
            var to: String?
            var date: LocalDate?
            var reference: String?
            var notes: String?
            var lines: [StockLine]
        }
        var body = Body(date: date, reference: reference, notes: notes, lines: lines)
        switch movement {
        case .receipt(let location), .writeOff(let location): body.location = location
        case .transfer(let from, let to):
            body.from = from
            body.to = to
        }
        // Encoding plain strings, numbers and dates cannot fail.
        return String(decoding: (try? JSONEncoder.postgate.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
