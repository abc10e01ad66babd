import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// Customers of a small company, set up from the command line alone and read back with SQL.
@Suite("postgate customers and postgate ref")
struct CustomersCommandTests {

    @Test("a user sets up customers from the CLI and reads their balances and alerts")
    func sourceArticleCustomers() async throws {
        try await withTestDatabase { database in
            let setup: [[String]] = [
                ["ref", "currencies", "add", "EUR", "--name", "Euro"],
                ["ref", "currencies", "add", "USD", "--name", "US Dollar"],
                ["ref", "rates", "add", "EUR", "USD", "1.08", "--valid-from", "2026-01-01"],
                ["ref", "price-lists", "add", "SALES", "--name", "Sales", "--currency", "EUR"],
                ["ref", "payment-methods", "add", "TRANSFER", "--name", "Bank transfer"],
                ["ref", "accounts", "add", "BANK", "--name", "Main bank", "--currency", "EUR", "--methods", "TRANSFER"],
                ["ref", "terms", "add", "NET30", "--name", "30 days", "--net-days", "30"],
                ["ref", "terms", "add", "CASHONLY", "--name", "Cash sales only", "--cash-sales-only"],
                ["ref", "schedules", "add", "MONTHLY", "--name", "Monthly"],
                ["ref", "taxes", "add", "VAT21", "--name", "VAT 21%", "--rate", "21"],
                ["ref", "taxes", "add", "EXEMPT", "--name", "Exempt", "--rate", "0", "--exempt"],
                ["ref", "tax-categories", "add", "STD", "--name", "Standard", "--rates", "VAT21,EXEMPT"],
                ["ref", "employees", "add", "ANN", "--name", "Ann", "--sales-rep"],
                [
                    "customers", "add", "ACME", "--name", "Acme Ltd", "--price-list", "SALES", "--terms", "NET30",
                    "--payment-method", "TRANSFER", "--account", "BANK", "--credit-limit", "5000", "--sales-rep", "ANN", "--tax-category", "STD",
                ],
                ["customers", "add", "SHOP", "--name", "Corner Shop", "--price-list", "SALES", "--terms", "CASHONLY", "--tax-exempt"],
                [
                    "customers", "add", "USCO", "--name", "US Co", "--price-list", "SALES", "--terms", "NET30", "--currency", "USD",
                    "--invoice-terms", "customer-schedule-after-delivery", "--schedule", "MONTHLY",
                ],
                ["customers", "hold", "ACME"],
                ["customers", "update", "SHOP", "--version", "1", "--credit-limit", "250.50"],
            ]
            for arguments in setup {
                let result = try await run(database, arguments)
                #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.error)")
            }

            let list = try await run(database, ["customers", "list"])
            #expect(list.output.contains("ACME  Acme Ltd"))
            #expect(list.output.contains("CASHONLY (cash)"))
            let json = try await run(database, ["customers", "show", "ACME", "--json"])
            let shown = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            let customer = shown?["customer"] as? [String: Any]
            #expect(customer?["on_hold"] as? Bool == true)
            #expect((shown?["alerts"] as? [[String: Any]])?.first?["alert"] as? String == "on_hold")
            let alerts = try await run(database, ["customers", "alerts", "ACME", "--document", "payment-in"])
            #expect(alerts.output.contains("No alerts"))

            // psql users read the same facts from the report views.
            let connection = try await database.connect()
            let balances = try await connection.query(
                "SELECT code, currency, credit_limit, credit_status, on_hold FROM report.customer_balances ORDER BY code")
            #expect(try balances.map { try $0.decode("code", as: String.self) } == ["ACME", "SHOP", "USCO"])
            #expect(try balances[0].decode("credit_status", as: String.self) == "ok")
            #expect(try balances[0].decode("on_hold", as: Bool.self))
            #expect(try balances[1].decode("credit_limit", as: Decimal.self) == Decimal(string: "250.50"))
            #expect(try balances[2].decode("currency", as: String.self) == "USD")
            #expect(try balances[2].decode("credit_status", as: String.self) == "no limit")
            await connection.close()
        }
    }

    @Test("refusals from the CLI name the field and what to do, and change nothing")
    func refusals() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["ref", "currencies", "add", "EUR", "--name", "Euro"])
            let missing = try await run(database, ["customers", "add", "X", "--name", "X", "--price-list", "NOPE", "--terms", "NET30"])
            #expect(missing.status != 0)
            #expect(missing.error.contains("price_list: there is no price list with code 'NOPE'"))
            #expect(missing.error.contains("postgate ref price-lists add"))
            let badCurrency = try await run(database, ["ref", "currencies", "add", "EURO", "--name", "x"])
            #expect(badCurrency.error.contains("three-letter ISO 4217"))
            let badNumber = try await run(
                database, ["customers", "add", "X", "--name", "X", "--price-list", "P", "--terms", "T", "--credit-limit", "1,000"])
            #expect(badNumber.status != 0)
            #expect(badNumber.error.contains("--credit-limit"))
            let unknownClear = try await run(database, ["customers", "update", "X", "--version", "1", "--clear", "name"])
            #expect(unknownClear.error.contains("can be cleared"))
            let connection = try await database.connect()
            let count = try await connection.query("SELECT count(*) AS n FROM report.customers")[0].decode("n", as: Int.self)
            #expect(count == 0)
            await connection.close()
        }
    }
}
