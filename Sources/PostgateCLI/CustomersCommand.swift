import ArgumentParser
import Foundation
import Postgate
import Postgres

extension InvoiceTerms: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.replacingOccurrences(of: "-", with: "_")) }
}

extension SalesDocument: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.replacingOccurrences(of: "-", with: "_")) }
}

extension Decimal: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        var text = argument
        if text.first == CommandLineText.minus { text = "-" + text.dropFirst() }
        self.init(decimalLiteral: text)
    }
}

extension LocalDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers",
        abstract: "Add, change, find, hold and release customers.",
        subcommands: [Add.self, Update.self, Show.self, List.self, Hold.self, Release.self, SetCurrency.self, Alerts.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a customer.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The customer's code (unique, any case).") var code: String
        @Option(help: "The customer's name.") var name: String
        @Option(help: "Price list code: invoice prices come from it.") var priceList: String
        @Option(name: .customLong("terms"), help: "Payment terms code.") var paymentTerms: String
        @Option(help: "Currency of the balance (default: the price list's).") var currency: String?
        @Option(help: "Payment method code.") var paymentMethod: String?
        @Option(name: .customLong("account"), help: "Financial account code (must accept the payment method).") var financialAccount: String?
        @Option(help: "after-order-delivered, after-delivery, do-not-invoice, immediate (default), customer-schedule-after-delivery.")
        var invoiceTerms: InvoiceTerms?
        @Option(name: .customLong("schedule"), help: "Invoice schedule code (for customer-schedule-after-delivery).") var invoiceSchedule: String?
        @Option(help: "Credit line limit in the customer's currency (default: no limit).") var creditLimit: Decimal?
        @Flag(help: "Only tax rates marked exempt may be used.") var taxExempt = false
        @Option(help: "Business-partner tax category code.") var taxCategory: String?
        @Option(help: "Sales representative (employee code).") var salesRep: String?
        @Flag(help: "Do not create customer items from this customer's invoices.") var noCustomerItems = false

        func run() async throws {
            var customer = NewCustomer(code: code, name: name, priceList: priceList, paymentTerms: paymentTerms)
            customer.currency = currency
            customer.paymentMethod = paymentMethod
            customer.financialAccount = financialAccount
            customer.invoiceTerms = invoiceTerms
            customer.invoiceSchedule = invoiceSchedule
            customer.creditLimit = creditLimit
            customer.taxExempt = taxExempt ? true : nil
            customer.taxCategory = taxCategory
            customer.salesRep = salesRep
            customer.createCustomerItems = noCustomerItems ? false : nil
            let created = try await withPool(connection) { pool in
                let store = CustomerStore(pool: pool)
                try await store.create(customer)
                return try await store.get(code)
            }
            print("Created customer \(created.code) (\(created.name)), currency \(created.currency), version \(created.version).")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a customer.",
            discussion:
                "Give the version you read (postgate customers show CODE); a customer changed since is refused. Only the options given change; --clear FIELD empties an optional field (credit-limit: no limit)."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The customer's code.") var code: String
        @Option(name: .customLong("version"), help: "The version you read.") var rowVersion: Int
        @Option(help: "New code.") var newCode: String?
        @Option var name: String?
        @Option var priceList: String?
        @Option(name: .customLong("terms")) var paymentTerms: String?
        @Option var paymentMethod: String?
        @Option(name: .customLong("account")) var financialAccount: String?
        @Option var invoiceTerms: InvoiceTerms?
        @Option(name: .customLong("schedule")) var invoiceSchedule: String?
        @Option var creditLimit: Decimal?
        @Option(help: "true or false.") var taxExempt: Bool?
        @Option var taxCategory: String?
        @Option var salesRep: String?
        @Option(help: "true or false.") var customerItems: Bool?
        @Option(help: "true or false.") var active: Bool?
        @Option(help: "Empty an optional field: payment-method, account, schedule, credit-limit, tax-category, sales-rep.") var clear: [String] = []

        func changes() throws -> CustomerChanges {
            var changes = CustomerChanges()
            if let newCode { changes.set(.code, newCode) }
            if let name { changes.set(.name, name) }
            if let priceList { changes.set(.priceList, priceList) }
            if let paymentTerms { changes.set(.paymentTerms, paymentTerms) }
            if let paymentMethod { changes.set(.paymentMethod, paymentMethod) }
            if let financialAccount { changes.set(.financialAccount, financialAccount) }
            if let invoiceTerms { changes.set(.invoiceTerms, invoiceTerms.rawValue) }
            if let invoiceSchedule { changes.set(.invoiceSchedule, invoiceSchedule) }
            if let creditLimit { changes.set(.creditLimit, creditLimit) }
            if let taxExempt { changes.set(.taxExempt, taxExempt) }
            if let taxCategory { changes.set(.taxCategory, taxCategory) }
            if let salesRep { changes.set(.salesRep, salesRep) }
            if let customerItems { changes.set(.createCustomerItems, customerItems) }
            if let active { changes.set(.active, active) }
            let clearable: [String: CustomerChanges.Field] = [
                "payment-method": .paymentMethod, "account": .financialAccount, "schedule": .invoiceSchedule,
                "credit-limit": .creditLimit, "tax-category": .taxCategory, "sales-rep": .salesRep,
            ]
            for name in clear {
                guard let field = clearable[name] else {
                    throw ValidationError("--clear \(name): only \(clearable.keys.sorted().joined(separator: ", ")) can be cleared")
                }
                changes.clear(field)
            }
            return changes
        }

        func validate() throws {
            if try changes().isEmpty { throw ValidationError("nothing to change: give at least one option, such as --credit-limit 5000") }
        }

        func run() async throws {
            let version = try await withPool(connection) {
                try await CustomerStore(pool: $0).update(code, version: rowVersion, changes: try changes())
            }
            print("Updated customer \(newCode ?? code): now version \(version).")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one customer with its balance and alerts.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Flag(help: "Print JSON.") var json = false

        struct Shown: Encodable {
            var customer: Customer
            var balance: CustomerBalance
            var alerts: [CustomerAlert]
        }

        func run() async throws {
            let shown = try await withPool(connection) { pool in
                let store = CustomerStore(pool: pool)
                return Shown(
                    customer: try await store.get(code), balance: try await store.balance(code),
                    alerts: try await store.alerts(code, for: .salesInvoice))
            }
            if json { return try printJSON(shown) }
            let c = shown.customer
            let lines: [(String, String)] = [
                ("Customer", "\(c.code)  \(c.name)  (version \(c.version)\(c.active ? "" : ", inactive"))"),
                ("Currency", c.currency), ("Price list", c.priceList),
                ("Payment terms", "\(c.paymentTerms) (\(c.netDays) days\(c.cashSalesOnly ? ", cash sales only" : ""))"),
                ("Payment method", c.paymentMethod.orDash), ("Account", c.financialAccount.orDash),
                ("Invoice terms", c.invoiceTerms.rawValue + (c.invoiceSchedule.map { ", schedule \($0)" } ?? "")),
                ("Credit limit", c.creditLimit.map { "\($0) \(c.currency)" } ?? "no limit"),
                ("Balance", "\(shown.balance.balance.money) \(c.currency) (\(shown.balance.creditStatus.rawValue))"),
                ("Tax", (c.taxExempt ? "exempt" : "not exempt") + (c.taxCategory.map { ", category \($0)" } ?? "")),
                ("Sales rep", c.salesRep.orDash),
                ("On hold", c.onHold ? "yes, blocking " + c.hold.blocked.map(\.rawValue).joined(separator: ", ") : "no"),
                ("Customer items", c.createCustomerItems ? "created from invoices" : "not created"),
            ]
            for (label, value) in lines { print(label.padding(toLength: 16, withPad: " ", startingAt: 0) + value) }
            for alert in shown.alerts { print("! \(alert.message)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only customers whose code or name contains this.") var search: String?
        @Flag(help: "Only customers on hold.") var onHold = false
        @Flag(help: "Include inactive customers.") var all = false
        @Option var limit = 50
        @Option var offset = 0
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let customers = try await withPool(connection) {
                try await CustomerStore(pool: $0).list(
                    search: search, onHold: onHold ? true : nil, active: all ? nil : true, limit: limit, offset: offset)
            }
            if json { return try printJSON(customers) }
            guard !customers.isEmpty else {
                print(
                    search == nil
                        ? "No customers yet. Add one: \(CommandLineText.command("customers add", "CODE --name NAME --price-list PL --terms TERMS"))"
                        : "No customer matches '\(search!)'.")
                return
            }
            printTable(
                ["CODE", "NAME", "CUR", "TERMS", "CREDIT LIMIT", "HOLD", "VERSION"],
                customers.map { c in
                    [
                        c.code, c.name, c.currency, c.paymentTerms + (c.cashSalesOnly ? " (cash)" : ""), c.creditLimit.map(\.description) ?? "none",
                        c.onHold ? "on hold" : "", String(c.version),
                    ]
                })
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a customer on hold.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Option(
            name: .customLong("block"), parsing: .upToNextOption,
            help: "Documents to block (default: the database's, every sales document; payment-in is allowed unless named).")
        var documents: [SalesDocument] = []

        func run() async throws {
            let switches = documents.isEmpty ? nil : HoldSwitches(blocking: Set(documents))
            let blocked = try await withPool(connection) { pool in
                let store = CustomerStore(pool: pool)
                try await store.hold(code, switches)
                return try await store.get(code).hold.blocked
            }
            print("Customer \(code) is on hold: \(blocked.map(\.rawValue).joined(separator: ", ")) blocked.")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a customer's hold.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String

        func run() async throws {
            try await withPool(connection) { try await CustomerStore(pool: $0).release(code) }
            print("Customer \(code) is no longer on hold.")
        }
    }

    struct SetCurrency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-currency",
            abstract: "Set new currency: re-express a customer's balance in another currency at a rate you give.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Argument(help: "The new currency.") var currency: String
        @Option(help: "How many of the new currency one of the old is worth.") var rate: Decimal
        @Option(help: "Date of the change (default: today), YYYY-MM-DD.") var on: LocalDate?

        func run() async throws {
            let balance = try await withPool(connection) { try await CustomerStore(pool: $0).setCurrency(code, to: currency, rate: rate, on: on) }
            print("Customer \(code) now keeps its balance in \(currency.uppercased()): \(balance).")
        }
    }

    struct Alerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The alerts a sales document shows for a customer.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Option(help: "sales-order, goods-shipment, sales-invoice (default) or payment-in.") var document: SalesDocument = .salesInvoice
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let alerts = try await withPool(connection) { try await CustomerStore(pool: $0).alerts(code, for: document) }
            if json { return try printJSON(alerts) }
            if alerts.isEmpty { print("No alerts for \(code) on a \(document.rawValue.replacingOccurrences(of: "_", with: " ")).") }
            for alert in alerts { print("\(alert.severity.rawValue.uppercased())  \(alert.message)") }
        }
    }
}
