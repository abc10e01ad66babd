import ArgumentParser
import Foundation
import Postgate
import Postgres

/// `PRODUCT:QUANTITY[:SERIAL[=QUANTITY][@EXPIRY],...]`.
extension StockLine: ExpressibleByArgument {
    public init?(argument: String) {
        guard let line = try? StockLine(parsing: argument) else { return nil }
        self = line
    }
}

/// What every stock document takes besides where it moves stock.
struct DocumentOptions: ParsableArguments {
    @Option(
        name: .customLong("line"),
        help: ArgumentHelp(
            "PRODUCT:QUANTITY[:SERIALS], repeated. SERIALS: comma-separated SERIAL[=QUANTITY][@YYYY-MM-DD], e.g. TV55:2:SN1,SN2 or CARPET:60:ROLL7=60@2027-01-31.",
            valueName: "line"))
    var lines: [StockLine] = []
    @Option(help: "Document date, YYYY-MM-DD (default: today).") var date: LocalDate?
    @Option(help: "Your reference (delivery note, reason).") var reference: String?
    @Option var notes: String?

    func validate() throws {
        if lines.isEmpty { throw ValidationError("give at least one --line PRODUCT:QUANTITY[:SERIALS]") }
    }

    func document(_ movement: StockMovement) -> StockDocument {
        StockDocument(movement, lines: lines, date: date, reference: reference, notes: notes)
    }
}

func post(_ connection: ConnectionOptions, _ document: StockDocument, _ verb: String) async throws {
    let id = try await withPool(connection) { try await StockStore(pool: $0).post(document) }
    let units = document.lines.reduce(Decimal(0)) { $0 + $1.quantity }
    print("\(verb) document \(id): \(document.lines.count) line\(document.lines.count == 1 ? "" : "s"), \(units) in all.")
}

struct StockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stock",
        abstract: "Receive, transfer and write off stock; see what is on hand.",
        discussion: "Each document is posted whole or not at all: a bad line refuses it and changes nothing.",
        subcommands: [Receive.self, Transfer.self, WriteOff.self, OnHandCommand.self, Locations.self]
    )

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Receive stock into a location (the preferred place to record serials).")
        @OptionGroup var connection: ConnectionOptions
        @Option var location: String
        @OptionGroup var document: DocumentOptions
        func run() async throws { try await post(connection, document.document(.receipt(location: location)), "Received") }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move stock between locations.")
        @OptionGroup var connection: ConnectionOptions
        @Option var from: String
        @Option var to: String
        @OptionGroup var document: DocumentOptions
        func run() async throws { try await post(connection, document.document(.transfer(from: from, to: to)), "Transferred") }
    }

    struct WriteOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "write-off",
            abstract: "Take stock out for good (damage, loss); also how a wrong serial is removed before the right one is received.")
        @OptionGroup var connection: ConnectionOptions
        @Option var location: String
        @OptionGroup var document: DocumentOptions
        func run() async throws { try await post(connection, document.document(.writeOff(location: location)), "Wrote off") }
    }

    struct OnHandCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "on-hand", abstract: "Stock on hand per product and location.")
        @OptionGroup var connection: ConnectionOptions
        @Option var product: String?
        @Option var location: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let rows = try await withPool(connection) { try await StockStore(pool: $0).onHand(product: product, location: location) }
            if json { return try printJSON(rows) }
            guard !rows.isEmpty else {
                print("Nothing on hand.")
                return
            }
            printTable(
                ["PRODUCT", "NAME", "LOCATION", "QUANTITY", "UNIT", "SERIALS"],
                rows.map {
                    [$0.product, $0.productName, $0.location, $0.quantity.description, $0.unit, $0.serials == 0 ? "" : String($0.serials)]
                })
        }
    }

    struct Locations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stock locations.", subcommands: [Add.self, List.self, Series.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List stock locations (--all: inactive ones too).")
            @OptionGroup var connection: ConnectionOptions
            @Flag(help: "Inactive locations too.") var all = false
            @Flag(help: "Print JSON.") var json = false
            func run() async throws {
                let locations = try await withPool(connection) { try await CatalogStore(pool: $0).locations(activeOnly: !all) }
                if json { return try printJSON(locations) }
                printTable(
                    ["CODE", "NAME", "ACTIVE", "VERSION"], locations.map { [$0.code, $0.name, $0.active ? "yes" : "no", String($0.version)] })
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a location (with --version).")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var row: CodeListRow
            func run() async throws {
                let version = try await withPool(connection) {
                    try await CatalogStore(pool: $0).saveLocation(row.code, name: row.name, active: row.active, version: row.rowVersion)
                }
                row.printSaved("location", version: version)
            }
        }

        struct Series: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Number a location's invoices from a series of its own (postgate ref series add), or the company's again.")
            @OptionGroup var connection: ConnectionOptions
            @Argument(help: "The location's code.") var location: String
            @Argument(help: "The series' code; COMPANY: the company's series.") var series: String
            func run() async throws {
                try await withPool(connection) { try await CatalogStore(pool: $0).setLocationSeries(location, series: series) }
                print("Invoices sold at \(location) are numbered from series \(series) from now on; those posted keep their numbers.")
            }
        }
    }
}
