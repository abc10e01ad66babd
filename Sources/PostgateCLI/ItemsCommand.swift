import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct ItemsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items", abstract: "Customer items (the installed base).", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a customer item by hand.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Argument var product: String
        @Option var serial: String?
        @Option(help: "Customer item type (default: the product's).") var itemType: String?
        @Option(help: "Warranty start, YYYY-MM-DD (default: today).") var warrantyStart: LocalDate?
        @Option var notes: String?

        func run() async throws {
            let item = NewCustomerItem(
                customer: customer, product: product, serial: serial, itemType: itemType, warrantyStart: warrantyStart, notes: notes)
            let id = try await withPool(connection) { try await PaymentStore(pool: $0).addCustomerItem(item) }
            print("Recorded customer item \(id) for \(customer).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A customer's items with warranty status.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String

        func run() async throws {
            let items = try await withPool(connection) { try await PaymentStore(pool: $0).customerItems(customer) }
            guard !items.isEmpty else {
                print("\(customer) has no customer items.")
                return
            }
            let rows = items.map { item in
                [
                    String(item.id), item.product, item.serial ?? "-", item.source, item.warrantyStatus, item.warrantyEnd?.description ?? "-",
                    item.nextService?.description ?? "-",
                ]
            }
            printTable(["ITEM", "PRODUCT", "SERIAL", "SOURCE", "WARRANTY", "ENDS", "NEXT SERVICE"], rows)
        }
    }
}
