import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// `PRODUCT:QUANTITY` with optional `@PRICE`: `TV:2@499.00`.
struct OrderLineArgument: ExpressibleByArgument {
    var line: NewOrderLine
    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        var quantityText = parts[1]
        var price: Decimal?
        if let at = quantityText.firstIndex(of: "@") {
            guard let parsed = Decimal(decimalLiteral: String(quantityText[quantityText.index(after: at)...])) else { return nil }
            price = parsed
            quantityText = String(quantityText[..<at])
        }
        guard let quantity = Decimal(decimalLiteral: quantityText), quantity > 0 else { return nil }
        line = NewOrderLine(product: parts[0], quantity: quantity, unitPrice: price)
    }
}

/// `LINE[:QUANTITY][:SERIAL,SERIAL…]` of a shipment: `1`, `1:2`, `2:1:TV-7`.
struct ShipmentLineArgument: ExpressibleByArgument {
    var line: NewShipmentLine
    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard let number = Int(parts[0]), number > 0 else { return nil }
        var quantity: Decimal?
        if parts.count > 1, !parts[1].isEmpty {
            guard let parsed = Decimal(decimalLiteral: parts[1]), parsed > 0 else { return nil }
            quantity = parsed
        }
        var serials: [SerialEntry]?
        if parts.count > 2 {
            serials = parts[2].split(separator: ",").map { SerialEntry(String($0).trimmingCharacters(in: .whitespaces)) }
        }
        line = NewShipmentLine(line: number, quantity: quantity, serials: serials)
    }
}

struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Sales orders: create with lines, book (hold and credit check), close, cancel, show, list.",
        subcommands: [Create.self, AddLine.self, Book.self, Close.self, Cancel.self, Delete.self, Show.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a draft sales order with its lines; shows the customer's alerts.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Customer code.") var customer: String
        @Option(help: "Location the goods ship from.") var location: String
        @Option(help: "Order date, YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option var reference: String?
        @Option(name: .customLong("line"), help: "PRODUCT:QUANTITY[@PRICE], repeated.") var lines: [OrderLineArgument] = []
        @Flag(help: "Book it at once.") var book = false

        func run() async throws {
            try await withPool(connection) { pool in
                let store = OrderStore(pool: pool, actor: ProcessInfo.processInfo.environment["USER"] ?? "postgate")
                let order = NewOrder(customer: customer, location: location, date: date, reference: reference)
                let lineCount = "\(lines.count) line\(lines.count == 1 ? "" : "s")"
                guard book else {
                    let (id, alerts) = try await store.create(order, lines: lines.map(\.line))
                    print("Created draft order \(id) for \(customer) with \(lineCount).")
                    printAlerts(alerts)
                    print("Next: \(CommandLineText.command("orders book", "\(id)"))")
                    return
                }
                // Created and booked together, or not at all.
                do {
                    let (id, alerts, number, decision) = try await pool.withOneTransaction { _ in
                        let (id, alerts) = try await store.create(order, lines: lines.map(\.line))
                        let (number, decision) = try await store.book(id)
                        return (id, alerts, number, decision)
                    }
                    print("Created order \(id) for \(customer) with \(lineCount), and booked it as number \(number).")
                    printAlerts(alerts)
                    printFindings(decision)
                    print(
                        "Next: \(CommandLineText.command("shipments create", "\(id)")), or \(CommandLineText.command("invoices generate", "--preview"))"
                    )
                } catch let refused as BookingRefused {
                    print("Nothing was made: the order for \(customer) could not be booked:")
                    printFindings(refused.decision)
                    throw ExitCode(1)
                }
            }
        }
    }

    struct AddLine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-line", abstract: "Add lines to a draft order.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64
        @Option(name: .customLong("line"), help: "PRODUCT:QUANTITY[@PRICE], repeated.") var lines: [OrderLineArgument] = []

        func validate() throws {
            if lines.isEmpty { throw ValidationError("give at least one --line PRODUCT:QUANTITY") }
        }

        func run() async throws {
            try await withPool(connection) { pool in
                for line in lines { try await OrderStore(pool: pool).addLine(order, line.line) }
            }
            print("Added \(lines.count) line\(lines.count == 1 ? "" : "s") to order \(order).")
        }
    }

    struct Book: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Book a draft order: refused when the customer is on hold for sales orders; the credit check per order_credit_mode.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64

        func run() async throws {
            try await withPool(connection) { pool in
                try await Self.book(order, OrderStore(pool: pool, actor: ProcessInfo.processInfo.environment["USER"] ?? "postgate"))
            }
        }

        static func book(_ order: Int64, _ store: OrderStore) async throws {
            do {
                let (number, decision) = try await store.book(order)
                print("Booked order \(order) as number \(number).")
                printFindings(decision)
                print(
                    "Next: \(CommandLineText.command("shipments create", "\(order)")), or \(CommandLineText.command("invoices generate", "--preview"))"
                )
            } catch let refused as BookingRefused {
                print("Order \(order) was not booked:")
                printFindings(refused.decision)
                throw ExitCode(1)
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a booked order: what is open is released; what was shipped is still invoiced.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64

        func run() async throws {
            try await withPool(connection) { try await OrderStore(pool: $0).close(order) }
            print("Closed order \(order).")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a booked order nothing was shipped or invoiced from.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64

        func run() async throws {
            try await withPool(connection) { try await OrderStore(pool: $0).cancel(order) }
            print("Cancelled order \(order).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a draft order.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64

        func run() async throws {
            try await withPool(connection) { try await OrderStore(pool: $0).delete(order) }
            print("Deleted draft order \(order).")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order: lines with booked, shipped, invoiced and open quantities.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var order: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let shown = try await withPool(connection) { try await OrderStore(pool: $0).order(order) }
            if json { return try printJSON(shown) }
            print(
                "Order     \(shown.number.map { "number \($0)" } ?? "draft \(shown.id)")  \(shown.status.rawValue)  \(shown.customer) (terms: \(shown.invoiceTerms))  \(shown.date)  from \(shown.location)"
            )
            printTable(
                ["LINE", "PRODUCT", "QUANTITY", "PRICE", "NET", "SHIPPED", "INVOICED", "OPEN"],
                shown.lines.map { line in
                    [
                        String(line.line), line.product, line.quantity.description, line.unitPrice.money, line.netAmount.money,
                        line.shipped.description, line.invoiced.description, line.open.description,
                    ]
                })
            print("Total     \(shown.total.money) \(shown.currency)")
            printAlerts(shown.alerts)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sales orders.")
        @OptionGroup var connection: ConnectionOptions
        @Option var customer: String?
        @Option(help: "draft, booked, closed or cancelled.") var status: OrderStatus?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let orders = try await withPool(connection) { try await OrderStore(pool: $0).list(customer: customer, status: status) }
            if json { return try printJSON(orders) }
            printTable(
                ["ID", "NUMBER", "STATUS", "CUSTOMER", "DATE", "TOTAL", "OPEN LINES"],
                orders.map {
                    [
                        String($0.orderID), $0.number.map(String.init) ?? "", $0.status.rawValue, $0.customer, $0.date.description,
                        "\($0.total.money) \($0.currency)", String($0.openLines),
                    ]
                })
        }
    }
}

extension OrderStatus: ExpressibleByArgument {}

struct ShipmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shipments",
        abstract: "Goods shipments of booked orders: create (partial quantities, serials picked or named), complete, delete, show.",
        subcommands: [Create.self, Complete.self, Delete.self, Show.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a draft shipment of a booked order: every open line in full, or the --line given.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The order's id.") var order: Int64
        @Option(help: "Shipment date, YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option var reference: String?
        @Option(name: .customLong("line"), help: "LINE[:QUANTITY][:SERIAL,SERIAL], repeated (serials default to the first in stock).")
        var lines: [ShipmentLineArgument] = []
        @Flag(help: "Complete it at once: the goods leave stock.") var complete = false

        func run() async throws {
            try await withPool(connection) { pool in
                let store = OrderStore(pool: pool, actor: ProcessInfo.processInfo.environment["USER"] ?? "postgate")
                let (id, alerts) = try await store.createShipment(
                    NewShipment(order: order, date: date, reference: reference, lines: lines.isEmpty ? nil : lines.map(\.line)))
                print("Created draft shipment \(id) of order \(order).")
                printAlerts(alerts)
                if complete {
                    let number = try await store.completeShipment(id)
                    print("Completed shipment \(id) as number \(number): its goods left stock.")
                } else {
                    print("Next: \(CommandLineText.command("shipments complete", "\(id)"))")
                }
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Complete a draft shipment: its goods and serials leave stock (refused when the customer is on hold for shipments).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var shipment: Int64

        func run() async throws {
            let number = try await withPool(connection) {
                try await OrderStore(pool: $0, actor: ProcessInfo.processInfo.environment["USER"] ?? "postgate").completeShipment(shipment)
            }
            print("Completed shipment \(shipment) as number \(number): its goods left stock.")
            print("Next: \(CommandLineText.command("invoices generate", "--preview"))")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a draft shipment.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var shipment: Int64

        func run() async throws {
            try await withPool(connection) { try await OrderStore(pool: $0).deleteShipment(shipment) }
            print("Deleted draft shipment \(shipment).")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a shipment with its lines and serials.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var shipment: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let shown = try await withPool(connection) { try await OrderStore(pool: $0).shipment(shipment) }
            if json { return try printJSON(shown) }
            print(
                "Shipment  \(shown.number.map { "number \($0)" } ?? "draft \(shown.id)")  \(shown.status)  \(shown.customer)  order \(shown.orderNumber.map(String.init) ?? "?")  \(shown.date)"
            )
            printTable(
                ["LINE", "ORDER LINE", "PRODUCT", "FROM", "QUANTITY", "SERIALS", "INVOICED"],
                shown.lines.map { line in
                    [
                        String(line.line), String(line.orderLine), line.product, line.location, line.quantity.description,
                        line.serials.map { $0.serial + (($0.quantity ?? 1) == 1 ? "" : " x \($0.quantity!)") }.joined(separator: ", "),
                        line.invoiced ? "yes" : "no",
                    ]
                })
        }
    }
}
