import Foundation
import Postgres

/// An invoice number series, as `api.list_invoice_series` returns it: a range of the invoice
/// numbers, taken without gaps, printed after its prefix. Locations with a series of their own
/// number their invoices from it; every other one from the company's (`COMPANY`).
public struct InvoiceSeries: Sendable, Hashable, Codable {
    public static let company = "COMPANY"

    public var code: String
    public var prefix: String
    public var firstNumber: Int64
    public var lastNumber: Int64
    public var nextNumber: Int64
    public var used: Int64
    public var locations: [String]

    public init(
        code: String, prefix: String, firstNumber: Int64, lastNumber: Int64, nextNumber: Int64, used: Int64, locations: [String]
    ) {
        self.code = code
        self.prefix = prefix
        self.firstNumber = firstNumber
        self.lastNumber = lastNumber
        self.nextNumber = nextNumber
        self.used = used
        self.locations = locations
    }
}

extension CatalogStore {
    /// Every invoice number series, by range.
    public func invoiceSeries() async throws -> [InvoiceSeries] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.list_invoice_series()").map { row in
                InvoiceSeries(
                    code: try row.decode("code"), prefix: try row.decode("prefix"), firstNumber: try row.decode("first_number"),
                    lastNumber: try row.decode("last_number"), nextNumber: try row.decode("next_number"), used: try row.decode("used"),
                    locations: try row.decode("locations", as: PostgresTextArray.self).values)
            }
        }
    }

    /// Adds a series: by default the next hundred million numbers after every series there is.
    /// Returns it as added (its range).
    public func addInvoiceSeries(_ code: String, prefix: String, first: Int64? = nil, last: Int64? = nil) async throws -> InvoiceSeries {
        try await domainErrors {
            let row = try await pool.query("SELECT * FROM api.save_invoice_series(\(code), \(prefix), \(first), \(last))")[0]
            let firstNumber: Int64 = try row.decode("first_number")
            return InvoiceSeries(
                code: try row.decode("code"), prefix: try row.decode("prefix"), firstNumber: firstNumber,
                lastNumber: try row.decode("last_number"), nextNumber: firstNumber, used: 0, locations: [])
        }
    }

    /// Numbers a location's invoices from `series`; nil (or `COMPANY`): from the company's again.
    public func setLocationSeries(_ location: String, series: String?) async throws {
        try await domainErrors {
            _ = try await pool.query("SELECT api.set_location_series(\(location), \(series))")
        }
    }
}
