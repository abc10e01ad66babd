import ArgumentParser
import Foundation
import Postgate
import Postgres

extension ReferenceKind: ExpressibleByArgument {}

/// Comma-separated codes: `--methods TRANSFER,CARD`.
struct CodeList: ExpressibleByArgument {
    var codes: [String]
    init?(argument: String) {
        codes = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ref",
        abstract: "Reference data: currencies, rates, price lists, payment methods, accounts, terms, schedules, taxes, employees, number series.",
        discussion: "Each 'add' creates the row when its code is new; with --version N (the version 'ref list' shows) it changes the existing row.",
        subcommands: [
            ListKind.self, Currencies.self, Rates.self, PriceLists.self, PaymentMethods.self, Accounts.self, Terms.self,
            Schedules.self, Taxes.self, TaxCategories.self, Employees.self, Series.self,
        ]
    )

    /// Runs `body` with a reference store, then reports what it saved.
    static func save(_ connection: ConnectionOptions, _ what: String, _ body: (ReferenceStore) async throws -> Int) async throws {
        let version = try await withPool(connection) { try await body(ReferenceStore(pool: $0)) }
        print(version == 1 ? "Added \(what)." : "Changed \(what): now version \(version).")
    }

    struct ListKind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List one kind of reference data.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "currencies, rates, price-lists, payment-methods, accounts, terms, schedules, taxes, tax-categories or employees.")
        var kind: ReferenceKind
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let items = try await withPool(connection) { try await ReferenceStore(pool: $0).list(kind) }
            if json { return try printJSON(items) }
            guard !items.isEmpty else {
                print("No \(kind.rawValue) yet.")
                return
            }
            printTable(
                ["CODE", "NAME", "DETAILS", "VERSION"],
                items.map { item in
                    [
                        item.code, item.name, item.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                        String(item.version),
                    ]
                })
        }
    }

    struct Currencies: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Currencies.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a currency.")
            @OptionGroup var connection: ConnectionOptions
            @Argument(help: "ISO 4217 code, such as EUR.") var code: String
            @Option var name: String
            @Option(help: "Decimals of the currency (2; 0 for JPY).") var minorUnits = 2
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "currency \(code.uppercased())") {
                    try await $0.saveCurrency(code, name: name, minorUnits: minorUnits, version: rowVersion)
                }
            }
        }
    }

    struct Rates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Conversion rates.", subcommands: [Add.self, Show.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Record that one FROM is worth RATE TO from a date on.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var from: String
            @Argument var to: String
            @Argument var rate: Decimal
            @Option(help: "First date the rate applies, YYYY-MM-DD.") var validFrom: LocalDate
            func run() async throws {
                try await withPool(connection) { try await ReferenceStore(pool: $0).addRate(from: from, to: to, rate: rate, validFrom: validFrom) }
                print("Added rate: 1 \(from.uppercased()) = \(rate) \(to.uppercased()) from \(validFrom).")
            }
        }
        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The rate that applies on a date.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var from: String
            @Argument var to: String
            @Option(help: "YYYY-MM-DD (default: today).") var on: LocalDate?
            func run() async throws {
                let date = on ?? LocalDate(daysSinceUnixEpoch: Int(Date().timeIntervalSince1970 / 86_400))
                let rate = try await withPool(connection) { try await ReferenceStore(pool: $0).rate(from: from, to: to, on: date) }
                print("1 \(from.uppercased()) = \(rate) \(to.uppercased()) on \(date)")
            }
        }
    }

    struct PriceLists: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "price-lists", abstract: "Price lists.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a price list.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option var currency: String
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "price list \(code)") {
                    try await $0.savePriceList(code, name: name, currency: currency, version: rowVersion)
                }
            }
        }
    }

    struct PaymentMethods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "payment-methods", abstract: "Payment methods.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or rename a payment method.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "payment method \(code)") {
                    try await $0.savePaymentMethod(code, name: name, version: rowVersion)
                }
            }
        }
    }

    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Financial accounts.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a financial account and the payment methods it accepts.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option var currency: String
            @Option(help: "Accepted payment methods, comma-separated.") var methods: CodeList = CodeList(argument: "")!
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "financial account \(code)") {
                    try await $0.saveFinancialAccount(code, name: name, currency: currency, paymentMethods: methods.codes, version: rowVersion)
                }
            }
        }
    }

    struct Terms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Payment terms.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change payment terms.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option(help: "Days from invoice to due date.") var netDays = 0
            @Flag(help: "Every invoice must be paid in full when it is posted.") var cashSalesOnly = false
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "payment terms \(code)") {
                    try await $0.savePaymentTerms(code, name: name, netDays: netDays, cashSalesOnly: cashSalesOnly, version: rowVersion)
                }
            }
        }
    }

    struct Schedules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invoice schedules.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change an invoice schedule.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option var description = ""
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "invoice schedule \(code)") {
                    try await $0.saveInvoiceSchedule(code, name: name, description: description, version: rowVersion)
                }
            }
        }
    }

    struct Taxes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tax rates.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a tax rate.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option(help: "Percent, such as 21 or 5.5.") var rate: Decimal
            @Flag(help: "May be used for tax-exempt customers.") var exempt = false
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "tax rate \(code)") {
                    try await $0.saveTaxRate(code, name: name, rate: rate, exempt: exempt, version: rowVersion)
                }
            }
        }
    }

    struct TaxCategories: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tax-categories", abstract: "Business-partner tax categories.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change a tax category and the tax rates it allows.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Option(help: "Allowed tax rates, comma-separated.") var rates: CodeList = CodeList(argument: "")!
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "tax category \(code)") {
                    try await $0.saveTaxCategory(code, name: name, taxRates: rates.codes, version: rowVersion)
                }
            }
        }
    }

    struct Employees: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Employees and sales representatives.", subcommands: [Add.self])
        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add or change an employee.")
            @OptionGroup var connection: ConnectionOptions
            @Argument var code: String
            @Option var name: String
            @Flag(help: "A sales representative, who may be assigned to customers.") var salesRep = false
            @Option(name: .customLong("version")) var rowVersion: Int?
            func run() async throws {
                try await ReferenceCommand.save(connection, "employee \(code)") {
                    try await $0.saveEmployee(code, name: name, isSalesRep: salesRep, version: rowVersion)
                }
            }
        }
    }

    struct Series: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invoice number series: ranges of the invoice numbers, each taken without gaps, printed after its prefix.",
            discussion: """
                Invoices are numbered by the series of their location, or the company's (COMPANY, numbers 1 to 999,999,999). \
                Give each till or shop a series of its own (postgate stock locations series LOCATION CODE) and their postings \
                no longer wait for each other's numbers. Ranges never overlap: a number names one invoice company-wide.
                """,
            subcommands: [List.self, Add.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the series, their ranges and locations.")
            @OptionGroup var connection: ConnectionOptions
            @Flag(help: "Print JSON.") var json = false
            func run() async throws {
                let series = try await withPool(connection) { try await CatalogStore(pool: $0).invoiceSeries() }
                if json { return try printJSON(series) }
                printTable(
                    ["CODE", "PREFIX", "FIRST", "LAST", "NEXT", "USED", "LOCATIONS"],
                    series.map {
                        [
                            $0.code, $0.prefix, String($0.firstNumber), String($0.lastNumber), String($0.nextNumber), String($0.used),
                            $0.locations.joined(separator: ", "),
                        ]
                    })
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a series (by default the next hundred million numbers after every series there is).")
            @OptionGroup var connection: ConnectionOptions
            @Argument(help: "Its code, e.g. TILL1.") var code: String
            @Option(help: "Printed before its numbers, e.g. T1- (at most 16 characters).") var prefix = ""
            @Option(help: "Its first number.") var first: Int64?
            @Option(help: "Its last number.") var last: Int64?
            func run() async throws {
                let series = try await withPool(connection) {
                    try await CatalogStore(pool: $0).addInvoiceSeries(code, prefix: prefix, first: first, last: last)
                }
                print(
                    "Added invoice number series \(series.code): numbers \(series.firstNumber) to \(series.lastNumber), "
                        + "printed as \(series.prefix)\(series.firstNumber).")
                print("Next: \(CommandLineText.command("stock locations series", "LOCATION \(series.code)"))")
            }
        }
    }
}
