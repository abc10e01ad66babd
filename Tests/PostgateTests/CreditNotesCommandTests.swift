import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

@Suite("postgate credit-notes, payments refund, and the refusals a new user meets")
struct CreditNotesCommandTests {
    @Test("a TV returned with a credit note from the command line: create, preview, post, show, list; a receipt of a sold TV says to use one")
    func returnATelevision() async throws {
        try await withTestDatabase { database in
            #expect(try await run(database, ["demo"]).status == 0)
            let refused = try await run(database, ["stock", "receive", "--location", "DEMO-MAIN", "--line", "DEMO-TV55:1:TV55-003"])
            #expect(refused.status == 1)
            #expect(refused.error.contains("serial TV55-003 of DEMO-TV55 was sold on invoice 1 to DEMO-ACME on 2026-03-02"), "\(refused.error)")
            #expect(refused.error.contains("Return it on a credit note against that invoice"))
            let created = try await run(database, ["credit-notes", "create", "1", "--line", "1:1:TV55-003", "--reason", "scratched"])
            #expect(created.status == 0, "\(created.error)")
            #expect(created.output.contains("Created draft credit note 2 against invoice 1: 603.79 EUR."), "\(created.output)")
            let preview = try await run(database, ["credit-notes", "post", "2", "--preview-only"])
            #expect(preview.output.contains("credit note draft 2 against invoice 1 (DEMO-ACME, 603.79 EUR): can be posted"), "\(preview.output)")
            let posted = try await run(database, ["credit-notes", "post", "2"])
            #expect(posted.output.contains("Posted draft credit note 2 as credit note 2."), "\(posted.output + posted.error)")
            let shown = try await run(database, ["credit-notes", "show", "2"])
            #expect(shown.output.contains("TV55-003") && shown.output.contains("return") && shown.output.contains("reason: scratched"))
            #expect(shown.output.contains("Credit       603.79 EUR to invoice 1"), "\(shown.output)")
            let list = try await run(database, ["credit-notes", "list", "--customer", "DEMO-ACME"])
            #expect(list.output.split(separator: "\n").count == 3, "\(list.output)")
            let history = try await run(database, ["serials", "history", "TV55-003"])
            #expect(history.output.contains("credit note 2 (invoice 1)"), "\(history.output)")
            let again = try await run(database, ["credit-notes", "create", "1", "--line", "1:1:TV55-003"])
            #expect(again.status == 1)
            #expect(again.error.contains("serial TV55-003 has come back already") || again.error.contains("left to credit"), "\(again.error)")
            let held = try await run(database, ["credit-notes", "create", "99"])
            #expect(held.error.contains("there is no invoice 99"))
        }
    }

    @Test("refunds and allocations of credit; a refund beyond the credit is refused")
    func refunds() async throws {
        try await withTestDatabase { database in
            #expect(try await run(database, ["demo"]).status == 0)
            // Invoice 5 is the cash sale, paid in full: its credit note leaves credit to pay back.
            let created = try await run(database, ["credit-notes", "create", "5"])
            #expect(created.status == 0, "\(created.error)")
            let posted = try await run(database, ["credit-notes", "post", "2"])
            #expect(posted.status == 0, "\(posted.error)")
            let shown = try await run(database, ["credit-notes", "show", "2"])
            #expect(shown.output.contains("Unallocated  48.35 EUR"), "\(shown.output)")
            let over = try await run(database, ["payments", "refund", "DEMO-SHOP", "50", "--credit-note", "2"])
            #expect(over.status == 1)
            #expect(over.error.contains("credit note 2 has 48.35 EUR left to refund, not 50"), "\(over.error)")
            let refund = try await run(database, ["payments", "refund", "DEMO-SHOP", "48.35", "--credit-note", "2"])
            #expect(refund.output.contains("paid back to DEMO-SHOP from credit note 2"), "\(refund.output + refund.error)")
            let none = try await run(database, ["payments", "refund", "DEMO-ACME", "1"])
            #expect(none.error.contains("customer DEMO-ACME has 0.00 EUR of credit"), "\(none.error)")
        }
    }

    @Test("refusals say what is wrong once, without usage text: no such invoice to allocate to or post, an empty allocation, a booking on hold")
    func plainRefusals() async throws {
        try await withTestDatabase { database in
            #expect(try await run(database, ["demo"]).status == 0)
            let allocation = try await run(database, ["payments", "receive", "DEMO-ACME", "10", "--invoice", "99999=5"])
            #expect(allocation.error.contains("there is no invoice 99999"), "\(allocation.error)")
            let empty = try await run(database, ["payments", "receive", "DEMO-ACME", "10", "--invoice", ""])
            #expect(empty.status != 0 && !empty.error.contains("Usage") && !empty.error.contains("USAGE"), "\(empty.error)")
            let missing = try await run(database, ["post", "999999"])
            #expect(missing.error.components(separatedBy: "invoices list").count == 2, "the next step once: \(missing.error)")
            let booking = try await run(
                database, ["orders", "create", "DEMO-HELD", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1", "--book"])
            #expect(booking.status == 1)
            #expect(booking.output.contains("Nothing was made"), "\(booking.output)")
            let orders = try await run(database, ["orders", "list", "--customer", "DEMO-HELD"])
            #expect(!orders.output.contains("DEMO-HELD"), "no draft order was left: \(orders.output)")
        }
    }
}
