import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// `PRODUCT:QUANTITY[:SERIALS]` with optional `@PRICE` after the quantity: `TV55:2@499.00:SN1,SN2`.
struct InvoiceLineArgument: ExpressibleByArgument {
    var line: NewInvoiceLine
    init?(argument: String) {
        var parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return nil }
        var price: Decimal?
        if let at = parts[1].firstIndex(of: "@") {
            guard let parsed = Decimal(decimalLiteral: String(parts[1][parts[1].index(after: at)...])) else { return nil }
            price = parsed
            parts[1] = String(parts[1][..<at])
        }
        guard let stock = try? StockLine(parsing: parts.joined(separator: ":")) else { return nil }
        line = NewInvoiceLine(
            product: stock.product, quantity: stock.quantity, unitPrice: price, serials: stock.serials.isEmpty ? nil : stock.serials)
    }
}

func printAlerts(_ alerts: [CustomerAlert]) {
    for alert in alerts { print("\(alert.severity.rawValue.uppercased())  \(alert.message)") }
}

func printFindings(_ decision: Decision, indent: String = "  ") {
    for finding in decision.findings where finding.severity != .info || finding.code == "credit-limit-watch" {
        print("\(indent)\(finding.severity.rawValue.uppercased())  [\(finding.rule)] \(finding.message)")
    }
}

struct InvoicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoices",
        abstract: "Draft invoices: create, add lines and serials, review customer items, show, list; generate them from orders.",
        subcommands: [
            Draft.self, AddLine.self, Serials.self, RemoveLine.self, Delete.self, Item.self, Review.self, Show.self, List.self, Generate.self,
            Schedule.self,
        ]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate Invoices: draft invoices from orders and shipments, by each customer's invoice terms (--preview: show only).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "The run's date, YYYY-MM-DD (default: today): invoice date and schedule day.") var date: LocalDate?
        @Flag(help: "Show what would be made, and which customers are skipped, without making anything.") var preview = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let made = try await withPool(connection) { pool in
                preview ? try await OrderStore(pool: pool).previewInvoices(on: date) : try await OrderStore(pool: pool).generateInvoices(on: date)
            }
            if json { return try printJSON(made) }
            let skipped = made.filter { $0.skippedBecause != nil }
            let due = made.filter { $0.skippedBecause == nil }
            printTable(
                preview ? ["CUSTOMER", "TERMS", "ORDER", "LINES", "TOTAL"] : ["INVOICE", "CUSTOMER", "ORDER", "LINES", "TOTAL"],
                due.map {
                    [
                        preview ? $0.customer : String($0.invoiceID ?? 0), preview ? ($0.invoiceTerms ?? "") : $0.customer,
                        $0.orderNumber.map(String.init) ?? "", String($0.lines), $0.total.money + ($0.currency.map { " " + $0 } ?? ""),
                    ]
                })
            for item in skipped { print("SKIPPED  order \(item.orderNumber.map(String.init) ?? "?"): \(item.skippedBecause!)") }
            if preview {
                print(
                    "\(due.count) draft invoice\(due.count == 1 ? "" : "s") would be made. Next: \(CommandLineText.command("invoices generate", date.map { "--date \($0)" } ?? ""))"
                )
            } else {
                let ids = due.compactMap(\.invoiceID).map(String.init).joined(separator: " ")
                print(
                    "Made \(due.count) draft invoice\(due.count == 1 ? "" : "s")."
                        + (due.isEmpty
                            ? ""
                            : " Next: \(CommandLineText.command("post", ids)) (or mass posting: \(CommandLineText.command("post", "--unposted")))"))
            }
        }
    }

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the dates of an invoice schedule (customers with Customer Schedule after Delivery are invoiced on them).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The schedule's code.") var schedule: String
        @Option(name: .customLong("date"), help: "A date, YYYY-MM-DD, repeated; replaces the schedule's dates.") var dates: [LocalDate] = []

        func run() async throws {
            let count = try await withPool(connection) { try await OrderStore(pool: $0).setScheduleDates(schedule, dates) }
            print("Schedule \(schedule) has \(count) date\(count == 1 ? "" : "s").")
        }
    }

    struct Draft: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a draft invoice (and its lines with --line); shows the customer's alerts.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Customer code.") var customer: String
        @Option(help: "Invoice date, YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option var reference: String?
        @Option(help: "Location stock leaves from.") var location: String?
        @Option(name: .customLong("line"), help: "PRODUCT:QUANTITY[@PRICE][:SERIALS], repeated.") var lines: [InvoiceLineArgument] = []

        func run() async throws {
            let (id, alerts) = try await withPool(connection) { pool in
                try await InvoiceStore(pool: pool).createDraft(
                    customer: customer, date: date, reference: reference, location: location,
                    lines: lines.map(\.line))
            }
            print("Created draft invoice \(id) for \(customer)\(lines.isEmpty ? "" : " with \(lines.count) line\(lines.count == 1 ? "" : "s")").")
            printAlerts(alerts)
            print(
                "Next: \(CommandLineText.command("invoices add-line", "\(id) --line PRODUCT:QTY")), then \(CommandLineText.command("post", "\(id)"))")
        }
    }

    struct AddLine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-line", abstract: "Add lines to a draft.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        @Option(name: .customLong("line"), help: "PRODUCT:QUANTITY[@PRICE][:SERIALS], repeated.") var lines: [InvoiceLineArgument] = []
        @Option(help: "Tax rate code for these lines (default: each product's).") var tax: String?
        @Option(help: "Location for these lines (default: the invoice's).") var location: String?

        func validate() throws {
            if lines.isEmpty { throw ValidationError("give at least one --line PRODUCT:QUANTITY") }
        }

        func run() async throws {
            let numbers = try await withPool(connection) { pool in
                try await InvoiceStore(pool: pool).addLines(
                    invoice,
                    lines.map(\.line).map { line in
                        var line = line
                        line.taxRate = tax ?? line.taxRate
                        line.location = location ?? line.location
                        return line
                    })
            }
            print("Added line\(numbers.count == 1 ? "" : "s") \(numbers.map(String.init).joined(separator: ", ")) to invoice \(invoice).")
        }
    }

    struct Serials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the serials sold on a line (picked from stock, or entered as added at sale).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        @Argument var line: Int
        @Argument(help: "Serials, each SERIAL[=QUANTITY].") var serials: [String]

        func run() async throws {
            let entries = try serials.map { text -> SerialEntry in
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard let first = parts.first, !first.isEmpty else { throw ValidationError("a serial is empty") }
                if parts.count == 2 {
                    guard let quantity = Decimal(decimalLiteral: parts[1]) else { throw ValidationError("'\(parts[1])' is not a quantity") }
                    return SerialEntry(first, quantity: quantity)
                }
                return SerialEntry(first)
            }
            try await withPool(connection) { try await InvoiceStore(pool: $0).setSerials(invoice, line: line, serials: entries) }
            print("Line \(line) of invoice \(invoice) carries \(entries.count) serial\(entries.count == 1 ? "" : "s").")
        }
    }

    struct RemoveLine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-line", abstract: "Remove a line from a draft.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        @Argument var line: Int
        func run() async throws {
            try await withPool(connection) { try await InvoiceStore(pool: $0).removeLine(invoice, line: line) }
            print("Removed line \(line) from invoice \(invoice).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a draft invoice.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        func run() async throws {
            try await withPool(connection) { try await InvoiceStore(pool: $0).delete(invoice) }
            print("Deleted draft invoice \(invoice).")
        }
    }

    struct Item: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit a customer item a draft will create (its id is in 'invoices show --json'); it must be reviewed again.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var item: Int64
        @Option var serial: String?
        @Option(help: "Warranty start, YYYY-MM-DD.") var warrantyStart: LocalDate?
        @Option var notes: String?

        func validate() throws {
            if serial == nil && warrantyStart == nil && notes == nil { throw ValidationError("give --serial, --warranty-start or --notes") }
        }

        func run() async throws {
            try await withPool(connection) {
                try await InvoiceStore(pool: $0).updatePendingItem(item, serial: serial, warrantyStart: warrantyStart, notes: notes)
            }
            print("Changed customer item \(item); review the invoice's items again before posting.")
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm the details of the customer items a draft will create.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        @Option(help: "Who reviewed them (default: the database login).") var reviewer: String?
        func run() async throws {
            let count = try await withPool(connection) { try await InvoiceStore(pool: $0).reviewItems(invoice, reviewer: reviewer) }
            print("Confirmed \(count) customer item\(count == 1 ? "" : "s") on invoice \(invoice).")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an invoice with its lines, serials and customer items.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var invoice: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let shown = try await withPool(connection) { try await InvoiceStore(pool: $0).invoice(invoice) }
            if json { return try printJSON(shown) }
            print(
                "Invoice   \(shown.number.map { "number \($0)" } ?? "draft \(shown.id)")  \(shown.customer) (\(shown.customerName))  \(shown.date)\(shown.dueDate.map { ", due \($0)" } ?? "")"
            )
            let credited = shown.lines.contains { $0.credited > 0 }
            printTable(
                ["LINE", "PRODUCT", "QUANTITY", "PRICE", "TAX", "NET", "SERIALS"] + (credited ? ["CREDITED"] : []),
                shown.lines.map { line in
                    [
                        String(line.line), line.product, line.quantity.description, line.unitPrice.money, line.taxRate, line.netAmount.money,
                        line.serials.map { ($0.product.map { "\($0) " } ?? "") + $0.serial + ($0.addedAtSale ? " (added at sale)" : "") }
                            .joined(separator: ", "),
                    ] + (credited ? ["\(line.credited) (\(line.returned) back)"] : [])
                })
            print("Total     \(shown.netTotal.money) + tax \(shown.taxTotal.money) = \(shown.total.money) \(shown.currency)")
            for note in shown.creditNotes {
                print(
                    "Credited  \(note.number.map { "credit note \($0)" } ?? "draft credit note \(note.id)") of \(note.date): \(note.total.money) \(shown.currency)"
                )
            }
            if !shown.pendingItems.isEmpty {
                let unreviewed = shown.pendingItems.filter { $0.reviewedBy == nil }.count
                print(
                    "Items     \(shown.pendingItems.count) customer item\(shown.pendingItems.count == 1 ? "" : "s") to create, \(unreviewed) not reviewed"
                )
            }
            printAlerts(shown.alerts)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List unposted invoices.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var filter: UnpostedOptions
        @Flag(help: "Only drafts the posting rules block now (evaluated as a mass posting).") var blocked = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let drafts = try await withPool(connection) { pool in
                var drafts = try await InvoiceStore(pool: pool).unposted(filter.filter, limit: 10_000)
                if blocked && !drafts.isEmpty {
                    let preview = try await PostingService(pool: pool, actor: postingActor()).preview(drafts.map(\.invoiceID))
                    let ids = Set(preview.blocked.map(\.invoiceID))
                    drafts = drafts.filter { ids.contains($0.invoiceID) }
                }
                return drafts
            }
            if json { return try printJSON(drafts) }
            guard !drafts.isEmpty else {
                print("No unposted invoices.")
                return
            }
            printTable(
                ["ID", "CUSTOMER", "DATE", "REFERENCE", "LINES", "TOTAL"],
                drafts.map {
                    [String($0.invoiceID), $0.customer, $0.date.description, $0.reference, String($0.lines), "\($0.total.money) \($0.currency)"]
                })
        }
    }
}

struct UnpostedOptions: ParsableArguments {
    @Option(help: "Only this customer's drafts.") var customer: String?
    @Option(help: "Invoice date from, YYYY-MM-DD.") var from: LocalDate?
    @Option(help: "Invoice date to, YYYY-MM-DD.") var to: LocalDate?
    @Option(help: "Smallest total.") var minTotal: Decimal?
    @Option(help: "Largest total.") var maxTotal: Decimal?

    var filter: UnpostedFilter {
        UnpostedFilter(customer: customer, from: from, to: to, minimumTotal: minTotal, maximumTotal: maxTotal)
    }

    /// The options given, as typed: a filter applies to a selection of unposted drafts only.
    var given: [String] {
        [
            customer.map { _ in "--customer" }, from.map { _ in "--from" }, to.map { _ in "--to" },
            minTotal.map { _ in "--min-total" }, maxTotal.map { _ in "--max-total" },
        ].compactMap { $0 }
    }
}
