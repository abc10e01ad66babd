import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct SerialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serials",
        abstract: "Serial number enquiry: find serials and their history; pick serials in stock.",
        subcommands: [Find.self, History.self, Pick.self]
    )

    struct Find: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serials whose serial, product, customer or location contains TEXT.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var text: String?
        @Option(help: "in-stock, sold, written-off or not-in-stock.") var status: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let wanted = status?.replacingOccurrences(of: "-", with: " ")
            let serials = try await withPool(connection) { try await StockStore(pool: $0).findSerials(text, status: wanted) }
            if json { return try printJSON(serials) }
            guard !serials.isEmpty else {
                print("No serial matches.")
                return
            }
            printTable(
                ["SERIAL", "PRODUCT", "STATUS", "LOCATION", "ON HAND", "EXPIRY", "CUSTOMER"],
                serials.map {
                    [
                        $0.serial + ($0.addedAtSale ? " (added at sale)" : ""), $0.product, $0.status, $0.location.orDash, $0.onHand.description,
                        $0.expiry.orDash, $0.customer.orDash,
                    ]
                })
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything that happened to a serial.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var serial: String
        @Option var product: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let events = try await withPool(connection) { try await StockStore(pool: $0).history(serial: serial, product: product) }
            if json { return try printJSON(events) }
            guard !events.isEmpty else {
                print("No history for serial \(serial): \(CommandLineText.command("serials find", serial))")
                return
            }
            printTable(
                ["DATE", "PRODUCT", "DOCUMENT", "REFERENCE", "LOCATION", "QUANTITY", "CUSTOMER"],
                events.map {
                    [
                        $0.date.description, $0.product, "\($0.documentKind.replacingOccurrences(of: "_", with: "-")) \($0.documentID)", $0.reference,
                        $0.location, $0.quantity.description, $0.customer.orDash,
                    ]
                })
        }
    }

    struct Pick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serials of a product in stock at a location, oldest expiry first.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var product: String
        @Option var location: String

        func run() async throws {
            let serials = try await withPool(connection) { try await StockStore(pool: $0).pickSerials(product: product, location: location) }
            guard !serials.isEmpty else {
                print("No serials of \(product) in stock at \(location).")
                return
            }
            printTable(["SERIAL", "QUANTITY", "EXPIRY"], serials.map { [$0.serial, $0.quantity.description, $0.expiry.orDash] })
        }
    }
}
