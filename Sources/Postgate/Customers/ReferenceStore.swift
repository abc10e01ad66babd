import Foundation
import Postgres

/// The kinds of reference data customers point to.
public enum ReferenceKind: String, Sendable, CaseIterable, Codable {
    case currencies, rates
    case priceLists = "price-lists"
    case paymentMethods = "payment-methods"
    case accounts, terms, schedules
    case taxes
    case taxCategories = "tax-categories"
    case employees
}

/// One row of reference data as listed: code, name, the kind's own details, version.
public struct ReferenceItem: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var details: [String: JSONValue]
    public var version: Int
}

/// Currencies, rates, price lists, payment methods, accounts, terms, schedules, taxes, tax
/// categories and employees. Each `save` creates the row when its code is new and changes it
/// when given its current `version`.
public struct ReferenceStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    private func version(_ query: PostgresQuery) async throws -> Int {
        try await domainErrors { try await pool.query(query)[0].decode(0, as: Int.self) }
    }

    @discardableResult
    public func saveCurrency(_ code: String, name: String, minorUnits: Int = 2, version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_currency(\(code), \(name), \(Int32(clamping: minorUnits)), \(version.map { Int32(clamping: $0) }))")
    }

    /// Records that one `from` is worth `rate` `to` from `validFrom` (default today) on.
    @discardableResult
    public func addRate(from: String, to: String, rate: Decimal, validFrom: LocalDate? = nil) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.add_conversion_rate(\(from), \(to), \(rate), coalesce(\(validFrom), current_date))")[0].decode(
                0, as: Int64.self)
        }
    }

    /// Units of `to` for one `from` on a date (the inverse pair when only it exists).
    /// The rate on a date; today's when none is given.
    public func rate(from: String, to: String, on date: LocalDate? = nil) async throws -> Decimal {
        try await domainErrors {
            try await pool.query("SELECT api.conversion_rate(\(from), \(to), coalesce(\(date), current_date))")[0].decode(0, as: Decimal.self)
        }
    }

    @discardableResult
    public func savePriceList(_ code: String, name: String, currency: String, version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_price_list(\(code), \(name), \(currency), \(version.map { Int32(clamping: $0) }))")
    }

    @discardableResult
    public func savePaymentMethod(_ code: String, name: String, version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_payment_method(\(code), \(name), \(version.map { Int32(clamping: $0) }))")
    }

    @discardableResult
    public func saveFinancialAccount(
        _ code: String, name: String, currency: String, paymentMethods: [String], version: Int? = nil
    ) async throws -> Int {
        try await self.version(
            """
            SELECT api.save_financial_account(\(code), \(name), \(currency), \(PostgresTextArray(paymentMethods)), \(version.map { Int32(clamping: $0) }))
            """)
    }

    @discardableResult
    public func savePaymentTerms(_ code: String, name: String, netDays: Int = 0, cashSalesOnly: Bool = false, version: Int? = nil) async throws -> Int
    {
        try await self.version(
            """
            SELECT api.save_payment_terms(\(code), \(name), \(Int32(clamping: netDays)), \(cashSalesOnly), \(version.map { Int32(clamping: $0) }))
            """)
    }

    @discardableResult
    public func saveInvoiceSchedule(_ code: String, name: String, description: String = "", version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_invoice_schedule(\(code), \(name), \(description), \(version.map { Int32(clamping: $0) }))")
    }

    @discardableResult
    public func saveTaxRate(_ code: String, name: String, rate: Decimal, exempt: Bool = false, version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_tax_rate(\(code), \(name), \(rate), \(exempt), \(version.map { Int32(clamping: $0) }))")
    }

    @discardableResult
    public func saveTaxCategory(_ code: String, name: String, taxRates: [String], version: Int? = nil) async throws -> Int {
        try await self.version(
            "SELECT api.save_tax_category(\(code), \(name), \(PostgresTextArray(taxRates)), \(version.map { Int32(clamping: $0) }))")
    }

    @discardableResult
    public func saveEmployee(_ code: String, name: String, isSalesRep: Bool = false, version: Int? = nil) async throws -> Int {
        try await self.version("SELECT api.save_employee(\(code), \(name), \(isSalesRep), \(version.map { Int32(clamping: $0) }))")
    }

    public func list(_ kind: ReferenceKind) async throws -> [ReferenceItem] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.list_reference(\(kind.rawValue))").map { row in
                ReferenceItem(
                    code: try row.decode("code"), name: try row.decode("name"),
                    details: try row.decode("details", as: PostgresJSON<[String: JSONValue]>.self).value,
                    version: try row.decode("version"))
            }
        }
    }
}
