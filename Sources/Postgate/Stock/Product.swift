import Foundation
import Postgres

/// How a product's units are told apart.
public enum SerialTracking: String, Sendable, Codable, CaseIterable {
    /// No serials.
    case none
    /// A serial per unit (TVs, computers).
    case unique
    /// A serial covers a quantity (a roll of carpet, a pallet of tiles).
    case batch
}

/// Where a product's serials are recorded.
public enum TrackOn: String, Sendable, Codable, CaseIterable {
    case sales, purchases, both
}

/// A product as read back.
public struct Product: Sendable, Hashable, Codable {
    public struct Component: Sendable, Hashable, Codable {
        public var product: String
        public var quantity: Decimal

        public init(product: String, quantity: Decimal) {
            self.product = product
            self.quantity = quantity
        }
    }

    public var id: Int64
    public var code: String
    public var name: String
    public var unit: String
    public var defaultTaxRate: String?
    public var customerItemType: String?
    public var serialTracking: SerialTracking
    public var trackOn: TrackOn
    public var trackExpiry: Bool
    public var isBuildup: Bool
    public var active: Bool
    public var version: Int
    public var components: [Component]
    public var onHand: Decimal

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        code = try row.decode("code")
        name = try row.decode("name")
        unit = try row.decode("unit")
        defaultTaxRate = try row.decode("default_tax_rate")
        customerItemType = try row.decode("customer_item_type")
        let tracking: String = try row.decode("serial_tracking")
        let on: String = try row.decode("track_on")
        guard let serialTracking = SerialTracking(rawValue: tracking), let trackOn = TrackOn(rawValue: on) else {
            throw PostgresError(kind: .decoding, message: "product \(code) has tracking '\(tracking)'/'\(on)', unknown to this version of Postgate")
        }
        self.serialTracking = serialTracking
        self.trackOn = trackOn
        trackExpiry = try row.decode("track_expiry")
        isBuildup = try row.decode("is_buildup")
        active = try row.decode("active")
        version = try row.decode("version")
        components = try row.decode("components", as: PostgresJSON<[Component]>.self).value
        onHand = try row.decode("on_hand")
    }
}

/// The fields of a product to add or change; only those set are sent.
public struct ProductFields: Sendable, Hashable, Encodable {
    public var code: String
    public var name: String?
    public var unit: String?
    public var defaultTaxRate: String?
    public var customerItemType: String?
    public var serialTracking: SerialTracking?
    public var trackOn: TrackOn?
    public var trackExpiry: Bool?
    public var isBuildup: Bool?
    public var active: Bool?

    public init(code: String, name: String? = nil) {
        self.code = code
        self.name = name
    }

}
