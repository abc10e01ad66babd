import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// `LINE[:QUANTITY][:SERIALS]`: an invoice line by number, the quantity credited (default: all it
/// has left), and the serials that come back, comma-separated as `SERIAL[=QUANTITY]`.
struct CreditLineArgument: ExpressibleByArgument {
    var line: NewCreditNote.Line
    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard let number = Int(parts[0]), number > 0 else { return nil }
        line = NewCreditNote.Line(line: number)
        if parts.count > 1, !parts[1].isEmpty {
            guard let quantity = Decimal(decimalLiteral: parts[1]), quantity > 0 else { return nil }
            line.quantity = quantity
        }
        if parts.count > 2 {
            var serials: [SerialEntry] = []
            for item in parts[2].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                let pieces = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard !pieces[0].isEmpty else { return nil }
                var entry = SerialEntry(pieces[0])
                if pieces.count == 2 {
                    guard let quantity = Decimal(decimalLiteral: pieces[1]), quantity > 0 else { return nil }
                    entry.quantity = quantity
                }
                serials.append(entry)
            }
            line.serials = serials
        }
    }
}

/// `LINE=AMOUNT`: a price correction, a net amount off an invoice line.
struct CreditAmountArgument: ExpressibleByArgument {
    var amount: NewCreditNote.Amount
    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let line = Int(parts[0]), line > 0, let value = Decimal(decimalLiteral: parts[1]), value > 0 else { return nil }
        amount = NewCreditNote.Amount(line: line, amount: value)
    }
}

struct CreditNotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-notes",
        abstract: "Credit notes against posted invoices: create (goods back, kept, or a price correction), post, show, list, apply, delete.",
        subcommands: [Create.self, Post.self, Show.self, List.self, Apply.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Draft a credit note against a posted invoice: the whole of it, or --line and --amount; the goods come back unless --no-return.",
            discussion: """
                postgate credit-notes create 12                        everything invoice 12 has left to credit, its goods back
                postgate credit-notes create 12 --line 1:1:TV-001      one unit of line 1, serial TV-001 back into stock
                postgate credit-notes create 12 --line 2:3 --no-return 3 units of line 2 credited, the customer keeps them
                postgate credit-notes create 12 --amount 2=15.00       15.00 (net, plus the line's tax) off line 2
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The posted invoice's number.") var invoice: Int64
        @Option(name: .customLong("line"), help: "LINE[:QUANTITY][:SERIALS] of the invoice, repeated (serials: SERIAL[=QUANTITY],...).")
        var lines: [CreditLineArgument] = []
        @Option(name: .customLong("amount"), help: "LINE=AMOUNT: a net amount off that line, repeated.") var amounts: [CreditAmountArgument] = []
        @Option(help: "Where returned goods go (default: where each line left from).") var location: String?
        @Flag(help: "The goods stay with the customer: credit the quantity, move no stock.") var noReturn = false
        @Option(help: "Why (shown on the credit note).") var reason: String?
        @Option(help: "Credit note date, YYYY-MM-DD (default: today).") var date: LocalDate?

        func run() async throws {
            let credit = NewCreditNote(
                invoiceNumber: invoice, date: date, reason: reason, location: location, return: noReturn ? false : nil,
                lines: lines.isEmpty ? nil : lines.map(\.line), amounts: amounts.isEmpty ? nil : amounts.map(\.amount))
            let note = try await withPool(connection) { pool in
                let store = CreditNoteStore(pool: pool)
                return try await store.creditNote(try await store.create(credit))
            }
            print("Created draft credit note \(note.id) against invoice \(note.invoiceNumber): \(note.total.money) \(note.currency).")
            print(
                "Next: \(CommandLineText.command("credit-notes post", "\(note.id) --preview-only")), then \(CommandLineText.command("credit-notes post", "\(note.id)"))"
            )
        }
    }

    struct Post: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post a draft credit note through the posting rules (--preview-only: what they say, posting nothing).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The draft credit note's id.") var creditNote: Int64
        @Flag(help: "Only show what the posting rules say now; post nothing.") var previewOnly = false

        func run() async throws {
            try await withPool(connection) { pool in
                let service = PostingService(pool: pool, actor: postingActor())
                if previewOnly {
                    let verdict = try await service.previewCreditNote(creditNote)
                    let facts = verdict.facts
                    print(
                        "\(facts.reference) against invoice \(facts.invoiceNumber) (\(facts.customer), \(facts.total.money) \(facts.currency)): "
                            + (verdict.posted ? "posted" : verdict.decision.canPost ? "can be posted" : "BLOCKED"))
                    printFindings(verdict.decision)
                    return
                }
                let posted = try await service.postCreditNote(creditNote)
                print("Posted draft credit note \(creditNote) as credit note \(posted.number).")
                printFindings(posted.decision)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a credit note: lines, serials back, and where its credit went.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The credit note's id.") var creditNote: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let note = try await withPool(connection) { try await CreditNoteStore(pool: $0).creditNote(creditNote) }
            if json { return try printJSON(note) }
            print(
                "Credit note  \(note.number.map { "number \($0)" } ?? "draft \(note.id)")  invoice \(note.invoiceNumber)  \(note.customer) (\(note.customerName))  \(note.date)"
                    + (note.reason.isEmpty ? "" : "  reason: \(note.reason)"))
            printTable(
                ["LINE", "INVOICE LINE", "PRODUCT", "KIND", "QUANTITY", "LOCATION", "NET", "TAX", "SERIALS"],
                note.lines.map { line in
                    [
                        String(line.line), String(line.invoiceLine), line.product, line.kind.rawValue, line.quantity.description,
                        line.location ?? "", line.netAmount.money, line.taxAmount.money,
                        line.serials.map { $0.serial + ($0.quantity == 1 ? "" : "=\($0.quantity)") }.joined(separator: ", "),
                    ]
                })
            print("Total        \(note.netTotal.money) + tax \(note.taxTotal.money) = \(note.total.money) \(note.currency)")
            for allocation in note.allocations {
                print(
                    "Credit       \(allocation.amount.money) \(note.currency) "
                        + (allocation.invoiceNumber.map { "to invoice \($0)" } ?? "refunded (payment \(allocation.refund ?? 0))"))
            }
            if let unallocated = note.unallocated, unallocated > 0 {
                print(
                    "Unallocated  \(unallocated.money) \(note.currency): \(CommandLineText.command("credit-notes apply", "\(note.number ?? 0) --invoice NUMBER")) or \(CommandLineText.command("payments refund", "\(note.customer) \(unallocated) --credit-note \(note.number ?? 0)"))"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List credit notes, newest first: of a customer, or of an invoice.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only this customer's.") var customer: String?
        @Option(help: "Only those against this invoice number.") var invoice: Int64?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let notes = try await withPool(connection) {
                try await CreditNoteStore(pool: $0).list(customer: customer, invoiceNumber: invoice)
            }
            if json { return try printJSON(notes.map(CreditNoteRow.init)) }
            guard !notes.isEmpty else {
                print("No credit notes.")
                return
            }
            printTable(
                ["ID", "NUMBER", "STATUS", "INVOICE", "CUSTOMER", "DATE", "TOTAL", "UNALLOCATED"],
                notes.map {
                    [
                        String($0.id), $0.number.map(String.init) ?? "", $0.status.rawValue, String($0.invoiceNumber), $0.customer,
                        $0.date.description, "\($0.total.money) \($0.currency)", $0.unallocated.map(\.money) ?? "",
                    ]
                })
        }

        struct CreditNoteRow: Encodable {
            var id: Int64
            var number: Int64?
            var status: String
            var invoiceNumber: Int64
            var customer: String
            var date: String
            var currency: String
            var total: String
            var unallocated: String?

            init(_ note: CreditNoteSummary) {
                id = note.id
                number = note.number
                status = note.status.rawValue
                invoiceNumber = note.invoiceNumber
                customer = note.customer
                date = note.date.description
                currency = note.currency
                total = note.total.description
                unallocated = note.unallocated?.description
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate a posted credit note's remaining credit to other posted invoices of its customer (--invoice NUMBER[=AMOUNT]).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The posted credit note's number.") var creditNote: Int64
        @Option(name: .customLong("invoice"), help: "Allocate to invoice NUMBER, or NUMBER=AMOUNT; repeated.") var allocations: [String] = []

        func run() async throws {
            guard !allocations.isEmpty else {
                throw Failure("name the invoices the credit goes to: --invoice NUMBER (all it can take) or --invoice NUMBER=AMOUNT", code: 64)
            }
            let shares = try allocations.map { try PaymentsCommand.Receive.allocation($0) }
            let total = try await withPool(connection) { try await CreditNoteStore(pool: $0).apply(creditNote, to: shares) }
            print("Allocated \(total.money) of credit note \(creditNote).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a draft credit note.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The draft credit note's id.") var creditNote: Int64

        func run() async throws {
            try await withPool(connection) { try await CreditNoteStore(pool: $0).delete(creditNote) }
            print("Deleted draft credit note \(creditNote).")
        }
    }
}
