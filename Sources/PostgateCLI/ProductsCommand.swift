import ArgumentParser
import Foundation
import Postgate
import Postgres

extension SerialTracking: ExpressibleByArgument {}
extension TrackOn: ExpressibleByArgument {}

/// `PRODUCT=QUANTITY`, for buildup components.
struct ComponentArgument: ExpressibleByArgument {
    var component: Product.Component
    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let quantity = Decimal(decimalLiteral: parts[1]) else { return nil }
        component = Product.Component(product: parts[0], quantity: quantity)
    }
}

struct ProductsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "products",
        abstract: "Products, serial tracking, buildups, prices and customer item types.",
        subcommands: [Add.self, Update.self, Show.self, List.self, Buildup.self, Price.self, ItemTypes.self]
    )

    struct Fields: ParsableArguments {
        @Option var name: String?
        @Option(help: "Unit of measure (default: unit).") var unit: String?
        @Option(name: .customLong("tax"), help: "Default tax rate code.") var defaultTaxRate: String?
        @Option(help: "Customer item type code: sales create customer items of this type.") var itemType: String?
        @Option(name: .customLong("serials"), help: "Serial tracking: none, unique (a serial per unit) or batch.") var serialTracking: SerialTracking?
        @Option(help: "Where serials are recorded: sales, purchases or both.") var trackOn: TrackOn?
        @Option(help: "Keep an expiry date per serial (true or false).") var expiry: Bool?
        @Option(help: "A buildup (kit) made of other products (true or false).") var buildup: Bool?
        @Option(help: "true or false.") var active: Bool?

        func fields(code: String) -> ProductFields {
            var fields = ProductFields(code: code, name: name)
            fields.unit = unit
            fields.defaultTaxRate = defaultTaxRate
            fields.customerItemType = itemType
            fields.serialTracking = serialTracking
            fields.trackOn = trackOn
            fields.trackExpiry = expiry
            fields.isBuildup = buildup
            fields.active = active
            return fields
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a product.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @OptionGroup var fields: Fields

        func validate() throws {
            if fields.name == nil { throw ValidationError("--name is required for a new product") }
        }

        func run() async throws {
            try await withPool(connection) { try await CatalogStore(pool: $0).saveProduct(fields.fields(code: code)) }
            print("Added product \(code).")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a product.",
            discussion: "Give the version you read (postgate products show CODE). Serial tracking changes only while no stock is on hand.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Option(name: .customLong("version"), help: "The version you read.") var rowVersion: Int
        @OptionGroup var fields: Fields

        func run() async throws {
            let version = try await withPool(connection) {
                try await CatalogStore(pool: $0).saveProduct(fields.fields(code: code), version: rowVersion)
            }
            print("Updated product \(code): now version \(version).")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a product with its stock.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (product, stock) = try await withPool(connection) { pool in
                (try await CatalogStore(pool: pool).product(code), try await StockStore(pool: pool).onHand(product: code))
            }
            if json { return try printJSON(product) }
            print("Product         \(product.code)  \(product.name)  (version \(product.version)\(product.active ? "" : ", inactive"))")
            print("Unit            \(product.unit)")
            print(
                "Serials         \(product.serialTracking.rawValue)\(product.serialTracking == .none ? "" : " (on \(product.trackOn.rawValue)\(product.trackExpiry ? ", with expiry" : ""))")"
            )
            print("Tax             \(product.defaultTaxRate.orDash)")
            print("Item type       \(product.customerItemType.orDash)")
            if product.isBuildup {
                print("Buildup of      " + product.components.map { "\($0.quantity) × \($0.product)" }.joined(separator: ", "))
            }
            print(
                "On hand         \(product.onHand)"
                    + (stock.isEmpty ? "" : ": " + stock.map { "\($0.quantity) at \($0.location)" }.joined(separator: ", ")))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only products whose code or name contains this.") var search: String?
        @Option var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let products = try await withPool(connection) { try await CatalogStore(pool: $0).products(search: search, limit: limit) }
            if json { return try printJSON(products) }
            guard !products.isEmpty else {
                print("No products found. Add one: \(CommandLineText.command("products add", "CODE --name NAME"))")
                return
            }
            printTable(
                ["CODE", "NAME", "UNIT", "SERIALS", "ON HAND", "VERSION"],
                products.map { p in
                    [p.code, p.name, p.unit, p.isBuildup ? "buildup" : p.serialTracking.rawValue, p.onHand.description, String(p.version)]
                })
        }
    }

    struct Buildup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the components of a buildup: --component PRODUCT=QUANTITY, repeated.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Option(name: .customLong("component"), help: "PRODUCT=QUANTITY per unit of the buildup.") var components: [ComponentArgument] = []

        func validate() throws {
            if components.isEmpty { throw ValidationError("name at least one --component PRODUCT=QUANTITY") }
        }

        func run() async throws {
            try await withPool(connection) { try await CatalogStore(pool: $0).setBuildup(code, components: components.map(\.component)) }
            print(
                "Buildup \(code) is made of " + components.map { "\($0.component.quantity) × \($0.component.product)" }.joined(separator: ", ") + ".")
        }
    }

    struct Price: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a product's price in a price list from a date on.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var priceList: String
        @Argument var product: String
        @Argument var price: Decimal
        @Option(help: "First date the price applies, YYYY-MM-DD (default: today).") var validFrom: LocalDate?

        func run() async throws {
            try await withPool(connection) {
                try await CatalogStore(pool: $0).setPrice(priceList: priceList, product: product, price: price, validFrom: validFrom)
            }
            print("Price of \(product) in \(priceList): \(price.money)\(validFrom.map { " from \($0)" } ?? " from today").")
        }
    }

    struct ItemTypes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "item-types", abstract: "Customer item types.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a customer item type (with --version).")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option(help: "Warranty period in months.") var warrantyMonths = 0
            @Option(help: "Service interval in months (none if left out).") var serviceMonths: Int?
            @Option(name: .customLong("version")) var rowVersion: Int?

            func run() async throws {
                let version = try await withPool(connection) {
                    try await CatalogStore(pool: $0).saveItemType(
                        code, name: name, warrantyMonths: warrantyMonths, serviceIntervalMonths: serviceMonths, version: rowVersion)
                }
                print(version == 1 ? "Added customer item type \(code)." : "Changed customer item type \(code): now version \(version).")
            }
        }
    }
}
