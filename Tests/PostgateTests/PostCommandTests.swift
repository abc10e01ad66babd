import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

@Suite("postgate invoices, post, post-and-pay, payments, pos, demo")
struct PostCommandTests {

    @Test("the demo shows a mass posting preview with every rule, then posts what may be posted")
    func demo() async throws {
        try await withTestDatabase { database in
            let result = try await run(database, ["demo"])
            #expect(result.status == 0, "\(result.error)")
            for expected in [
                "[serials-complete] Load 1 serial number on line 1", "[cash-sales-only]", "[on-hold]", "[credit-limit]",
                "cannot be posted as a whole", "posted 4 invoices, 5 customer items created", "post and pay",
                "credit note 1: TV55-002 of invoice",
            ] {
                #expect(result.output.contains(expected), "missing: \(expected)")
            }
            let blocked = try await run(database, ["invoices", "list", "--blocked"])
            #expect(blocked.output.contains("TV without its serial"))
            #expect(blocked.output.contains("customer on hold"))
            #expect(!blocked.output.contains("cash sale"), "the cash sale was posted and paid")
            let again = try await run(database, ["demo"])
            #expect(again.output.contains("already loaded"))
            let connection = try await database.connect()
            let posted = try await connection.query("SELECT count(*) AS n FROM report.invoices WHERE status = 'posted'")[0].decode("n", as: Int.self)
            #expect(posted == 5)
            // The demo's returned TV is back in stock, and its customer item ended.
            let returned = try await connection.query(
                "SELECT status, location FROM report.serial_numbers WHERE serial = 'TV55-002'")[0]
            #expect(try returned.decode("status", as: String.self) == "in stock")
            #expect(try returned.decode("location", as: String.self) == "DEMO-MAIN")
            let item = try await connection.query("SELECT status FROM report.customer_items WHERE serial = 'TV55-002'")[0]
            #expect(try item.decode("status", as: String.self) == "returned")
            await connection.close()
        }
    }

    @Test("drafts, single posting, mass posting with confirmation, post-and-pay, payments and POS from the CLI")
    func postingFromTheCommandLine() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let draft = try await run(
                database, ["invoices", "draft", "DEMO-ACME", "--date", "2026-03-05", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:2@8.50"])
            #expect(draft.status == 0, "\(draft.error)")
            let id = draft.output.split(separator: " ").dropFirst(3).first.map(String.init) ?? ""
            let shown = try await run(database, ["invoices", "show", id])
            #expect(shown.output.contains("Total     17.00 + tax 3.57 = 20.57 EUR"))
            let refused = try await run(database, ["post", "--unposted", "--yes"])
            #expect(refused.status != 0)
            #expect(refused.error.contains("blocked, so the selection cannot be posted"))
            let unconfirmed = try await run(database, ["post", "--unposted", "--customer", "DEMO-ACME", "--from", "2026-03-05"], input: "yes\n")
            #expect(unconfirmed.status == 2, "no terminal to confirm at, and no --yes: a script must not take this for a posting")
            #expect(unconfirmed.error.contains("pass --yes"))
            #expect(!unconfirmed.error.contains("USAGE") && !unconfirmed.error.contains("Usage:"))
            let narrow = try await run(database, ["post", "--unposted", "--customer", "DEMO-ACME", "--from", "2026-03-05", "--yes"])
            #expect(narrow.status == 0, "\(narrow.error)")
            #expect(narrow.output.contains("Posted 1 invoices"))
            let cash = try await run(database, ["invoices", "draft", "DEMO-SHOP", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1"])
            let cashID = cash.output.split(separator: " ").dropFirst(3).first.map(String.init) ?? ""
            let single = try await run(database, ["post", cashID])
            #expect(single.status != 0)
            #expect(single.error.contains("post and pay"))
            let paid = try await run(database, ["post-and-pay", cashID])
            #expect(paid.status == 0, "\(paid.error)")
            let payment = try await run(database, ["payments", "receive", "DEMO-ACME", "100", "--invoice", "1=100"])
            #expect(payment.status == 0, "\(payment.error)")
            let pos = try await run(database, ["pos", "sale", "DEMO-SHOP", "--location", "DEMO-MAIN", "--line", "DEMO-TV55:1:TV55-002"])
            #expect(pos.status == 0, "\(pos.error)")
            let items = try await run(database, ["items", "list", "DEMO-SHOP"])
            #expect(items.output.contains("TV55-002"), "the TV the demo took back on a credit note sells again")
            #expect(items.output.contains("pos"))
        }
    }

    @Test("every option of post is honoured or refused: --preview-only with ids previews and posts nothing")
    func postOptions() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let draft = try await run(database, ["invoices", "draft", "DEMO-ACME", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:2"])
            let id = draft.output.split(separator: " ").dropFirst(3).first.map(String.init) ?? ""
            let preview = try await run(database, ["post", id, "--preview-only"])
            #expect(preview.status == 0, "\(preview.error)")
            #expect(preview.output.contains("Preview of 1 invoices"))
            #expect(!preview.output.contains("Posted"))
            let blockedPreview = try await run(database, ["post", "--unposted", "--preview-only"])
            #expect(blockedPreview.status == 0, "a preview succeeds whatever its verdicts: \(blockedPreview.error)")
            for (arguments, says) in [
                ([id, "--yes"], "--yes applies to a mass posting"), ([id, "--customer", "DEMO-ACME"], "--customer applies"),
                ([id, "--chunk", "5"], "--chunk applies"), (["--unposted", "--preview-only", "--yes"], "--yes has nothing to confirm"),
            ] {
                let refused = try await run(database, ["post"] + arguments)
                #expect(refused.status != 0)
                #expect(refused.error.contains(says), "\(arguments): \(refused.error)")
            }
            let connection = try await database.connect()
            let status = try await connection.query("SELECT status FROM report.invoices WHERE invoice_id = \(Int64(id) ?? 0)")[0].decode(
                0, as: String.self)
            #expect(status == "draft", "nothing was posted")
            await connection.close()
        }
    }

    @Test("a draft with a refused line leaves nothing behind; a price with too many decimals is refused, not rounded")
    func draftsAreAllOrNothing() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let connection = try await database.connect()
            let before = try await connection.query("SELECT count(*) FROM report.invoices")[0].decode(0, as: Int.self)
            let refused = try await run(
                database, ["invoices", "draft", "DEMO-ACME", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1", "--line", "NOPE:1"])
            #expect(refused.status != 0)
            #expect(refused.error.contains("NOPE"))
            let rounded = try await run(database, ["invoices", "draft", "DEMO-ACME", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1@1.00001"])
            #expect(rounded.status != 0)
            #expect(rounded.error.contains("at most 4"), "\(rounded.error)")
            let after = try await connection.query("SELECT count(*) FROM report.invoices")[0].decode(0, as: Int.self)
            #expect(after == before, "no empty draft was left behind")
            await connection.close()
        }
    }

    @Test("post-and-pay takes --amount: a part payment of a Cash Sales Only invoice is refused with the amount due")
    func postAndPayAmount() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let cash = try await run(database, ["invoices", "draft", "DEMO-SHOP", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1"])
            let id = cash.output.split(separator: " ").dropFirst(3).first.map(String.init) ?? ""
            let part = try await run(database, ["post-and-pay", id, "--amount", "1"])
            #expect(part.status != 0)
            #expect(part.error.contains("the amount due is"), "\(part.error)")
            let full = try await run(database, ["post-and-pay", id, "--payment-method", "DEMO-CASH"])
            #expect(full.status == 0, "\(full.error)")
        }
    }
}
