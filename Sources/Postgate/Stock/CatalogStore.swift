import Foundation
import Postgres

/// Products, buildups, prices, customer item types and locations, through the `api` functions.
public struct CatalogStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Adds a product, or changes it when given its `version`; returns the new version.
    @discardableResult
    public func saveProduct(_ fields: ProductFields, version: Int? = nil) async throws -> Int {
        let json = JSONArgument(fields)
        return try await domainErrors {
            try await pool.query("SELECT api.save_product(\(json), \(version.map { Int32(clamping: $0) }))")[0].decode(0, as: Int.self)
        }
    }

    public func product(_ code: String) async throws -> Product {
        try await domainErrors { try Product(row: try await pool.query("SELECT * FROM api.get_product(\(code))")[0]) }
    }

    public func products(search: String? = nil, limit: Int = 100, offset: Int = 0) async throws -> [Product] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.list_products(\(search), \(Int32(clamping: limit)), \(Int32(clamping: offset)))").map(
                Product.init(row:))
        }
    }

    /// Sets what one unit of a buildup is made of.
    @discardableResult
    public func setBuildup(_ code: String, components: [Product.Component]) async throws -> Int {
        let json = PostgresJSON(components)
        return try await domainErrors {
            try await pool.query("SELECT api.set_buildup_components(\(code), \(json))")[0].decode(0, as: Int.self)
        }
    }

    public func setPrice(priceList: String, product: String, price: Decimal, validFrom: LocalDate? = nil) async throws {
        try await domainErrors {
            try await pool.query("SELECT api.set_product_price(\(priceList), \(product), \(price), coalesce(\(validFrom), current_date))")
        }
    }

    /// The price on a date; today's when none is given.
    public func price(priceList: String, product: String, on date: LocalDate? = nil) async throws -> Decimal {
        try await domainErrors {
            try await pool.query("SELECT api.product_price(\(priceList), \(product), coalesce(\(date), current_date))")[0].decode(0, as: Decimal.self)
        }
    }

    @discardableResult
    public func saveItemType(
        _ code: String, name: String, warrantyMonths: Int = 0, serviceIntervalMonths: Int? = nil, version: Int? = nil
    ) async throws -> Int {
        try await domainErrors {
            try await pool.query(
                """
                SELECT api.save_item_type(\(code), \(name), \(Int32(clamping: warrantyMonths)), \(serviceIntervalMonths.map { Int32(clamping: $0) }), \(version.map { Int32(clamping: $0) }))
                """)[0].decode(0, as: Int.self)
        }
    }

    @discardableResult
    /// Stock locations by code: the active ones, or all.
    public func locations(activeOnly: Bool = true) async throws -> [Location] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.list_locations(\(activeOnly))").map { row in
                Location(
                    code: try row.decode("code"), name: try row.decode("name"), active: try row.decode("active"), version: try row.decode("version"))
            }
        }
    }

    public func saveLocation(_ code: String, name: String, active: Bool = true, version: Int? = nil) async throws -> Int {
        try await domainErrors {
            try await pool.query("SELECT api.save_location(\(code), \(name), \(active), \(version.map { Int32(clamping: $0) }))")[0].decode(
                0, as: Int.self)
        }
    }
}
