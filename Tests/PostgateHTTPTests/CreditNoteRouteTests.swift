import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgate
import PostgateHTTP
import Postgres
import Testing

@Suite("Credit notes and refunds over HTTP")
struct CreditNoteRouteTests {
    /// Drafts an invoice of ACME from MAIN with these lines and posts it as a poster; its id.
    static func postedInvoice(_ client: some TestClientProtocol, _ tokens: Tokens, _ lines: [[String: Any]]) async throws -> Int {
        var answer = try await client.send(.post, "/invoices", tokens.clerk, json: ["customer": "ACME", "location": "MAIN", "lines": lines])
        let id = answer.object["invoice_id"] as? Int ?? 0
        answer = try await client.send(.post, "/postings", tokens.poster, json: ["invoice_ids": [id]])
        #expect(answer.status == 200, "\(answer.text)")
        return id
    }

    static func balance(_ client: some TestClientProtocol, _ tokens: Tokens, _ customer: String = "ACME") async throws -> String? {
        try await client.send(.get, "/customers/\(customer)", tokens.reader).object["balance"] as? String
    }

    @Test("a TV returned by serial: drafted and previewed by a clerk, posted by a poster alone; the balance goes down, the TV is back in stock")
    func returnBySerial() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                let clerk = tokens.clerk
                let invoice = try await Self.postedInvoice(
                    client, tokens, [["product": "TV", "quantity": "1", "serials": ["TV-1"]], ["product": "CABLE", "quantity": "5"]])
                #expect(try await Self.balance(client, tokens) == "665.5")
                var answer = try await client.send(
                    .post, "/credit-notes", clerk,
                    json: ["invoice_number": 1, "reason": "dead on arrival", "lines": [["line": 1, "serials": [["serial": "TV-1"]]]]])
                #expect(answer.status == 201, "\(answer.text)")
                let note = answer.object["credit_note_id"] as? Int ?? 0
                answer = try await client.send(.get, "/credit-notes/\(note)", tokens.reader)
                #expect(answer.status == 200 && answer.object["status"] as? String == "draft" && answer.object["total"] as? String == "605")
                #expect(answer.object["number"] == nil && answer.object["reason"] as? String == "dead on arrival")
                let line = (answer.object["lines"] as? [[String: Any]])?.first
                #expect(line?["kind"] as? String == "return" && line?["invoice_line"] as? Int == 1 && line?["location"] as? String == "MAIN")
                #expect(line?["serials"] as? [[String: String]] == [["serial": "TV-1", "product": "TV", "quantity": "1"]], "\(answer.text)")

                answer = try await client.send(.post, "/credit-notes/\(note)/preview", clerk)
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.object["can_post"] as? Bool == true && answer.object["status"] as? String == "draft")
                #expect(answer.object["reference"] as? String == "credit note draft \(note)" && answer.object["total"] as? String == "605")
                #expect(answer.object["currency"] as? String == "EUR" && (answer.object["findings"] as? [Any])?.isEmpty == true)
                answer = try await client.send(.post, "/credit-notes/\(note)/preview", tokens.reader)
                #expect(answer.status == 403, "a reader only reads")

                answer = try await client.send(.post, "/credit-notes/\(note)/posting", clerk)
                #expect(answer.status == 403 && answer.type == "forbidden", "posting is a poster's: \(answer.text)")
                answer = try await client.send(.get, "/credit-notes/\(note)", tokens.reader)
                #expect(answer.object["status"] as? String == "draft", "the clerk's attempt changed nothing")
                #expect(try await Self.balance(client, tokens) == "665.5")
                answer = try await client.send(.get, "/serials?search=TV-1", tokens.reader)
                #expect(answer.list.first?["status"] as? String == "sold" && answer.list.first?["customer"] as? String == "ACME")

                answer = try await client.send(.post, "/credit-notes/\(note)/posting", tokens.poster)
                #expect(answer.status == 200 && answer.object["number"] as? Int == 1, "\(answer.text)")
                #expect(answer.object["credit_note_id"] as? Int == note && (answer.object["findings"] as? [Any])?.isEmpty == true)
                #expect(try await Self.balance(client, tokens) == "60.5")
                answer = try await client.send(.get, "/serials?search=TV-1", tokens.reader)
                #expect(
                    answer.list.first?["status"] as? String == "in stock" && answer.list.first?["location"] as? String == "MAIN", "\(answer.text)")
                answer = try await client.send(.get, "/credit-notes/\(note)", tokens.reader)
                #expect(answer.object["status"] as? String == "posted" && answer.object["number"] as? Int == 1)
                #expect(answer.object["posted_by"] as? String == "till-7" && answer.object["unallocated"] as? String == "0")
                let allocations = answer.object["allocations"] as? [[String: Any]] ?? []
                #expect(allocations.map { $0["invoice_number"] as? Int } == [1], "the credit goes to what its invoice owes: \(answer.text)")
                #expect(allocations.map { $0["amount"] as? String } == ["605"])
                answer = try await client.send(.get, "/invoices/\(invoice)", tokens.reader)
                let lines = answer.object["lines"] as? [[String: Any]] ?? []
                #expect(lines.first?["credited"] as? String == "1" && lines.first?["returned"] as? String == "1", "\(answer.text)")
                #expect(lines.last?["credited"] as? String == "0" && lines.last?["returned"] as? String == "0")
                let sold = lines.first?["serials"] as? [[String: Any]] ?? []
                #expect(sold.map { $0["serial"] as? String } == ["TV-1"] && sold.map { $0["returned"] as? String } == ["1"], "\(answer.text)")
                let references = answer.object["credit_notes"] as? [[String: Any]] ?? []
                #expect(references.map { $0["id"] as? Int } == [note] && references.first?["number"] as? Int == 1, "\(answer.text)")
                #expect(references.first?["status"] as? String == "posted" && references.first?["total"] as? String == "605")

                answer = try await client.send(.post, "/credit-notes/\(note)/preview", clerk)
                #expect(answer.status == 200 && answer.object["status"] as? String == "posted", "\(answer.text)")
                #expect(answer.object["can_post"] as? Bool == false && (answer.object["findings"] as? [Any])?.isEmpty == true, "past the rules")
                answer = try await client.send(.post, "/credit-notes/\(note)/posting", tokens.poster)
                #expect(answer.status == 423, "\(answer.text)")
                answer = try await client.send(.delete, "/credit-notes/\(note)", clerk)
                #expect(answer.status == 423 && answer.type == "immutable" && answer.field == "credit_note", "\(answer.text)")

                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 1, "lines": [["line": 1]]])
                #expect(answer.status == 422 && answer.field == "lines[1].quantity", "the TV came back already: \(answer.text)")
                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 1, "lines": [["line": 2, "quantity": "6"]]])
                #expect(answer.status == 422 && answer.field == "lines[1].quantity", "5 cables were sold: \(answer.text)")
                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 1, "lines": [["line": 2, "quantity": "x"]]])
                #expect(answer.status == 400 && answer.field == "lines[1].quantity", "\(answer.text)")
                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 999])
                #expect(answer.status == 404 && answer.field == "invoice_number", "\(answer.text)")
                answer = try await client.send(.post, "/credit-notes", tokens.reader, json: ["invoice_number": 1])
                #expect(answer.status == 403)
                answer = try await client.send(.get, "/credit-notes?invoice_number=1", tokens.reader)
                #expect(answer.list.map { $0["credit_note_id"] as? Int } == [note], "refused drafts leave nothing behind: \(answer.text)")
                answer = try await client.send(.get, "/credit-notes/999", tokens.reader)
                #expect(answer.status == 404)
            }
        }
    }

    @Test("a price correction, the whole invoice (refused while on hold), credit allocated to another invoice, refunds within the credit")
    func creditAndRefunds() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                let clerk = tokens.clerk
                let poster = tokens.poster
                _ = try await Self.postedInvoice(client, tokens, [["product": "CABLE", "quantity": "5"]])
                _ = try await Self.postedInvoice(client, tokens, [["product": "CABLE", "quantity": "2"]])
                _ = try await Self.postedInvoice(client, tokens, [["product": "CABLE", "quantity": "3"]])
                var answer = try await client.send(
                    .post, "/payments", poster, json: ["customer": "ACME", "amount": "24.2", "allocations": [["invoice_number": 2]]])
                #expect(answer.status == 201, "\(answer.text)")
                #expect(try await Self.balance(client, tokens) == "96.8")

                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 1, "amounts": [["line": 1, "amount": "10"]]])
                #expect(answer.status == 201, "\(answer.text)")
                let correction = answer.object["credit_note_id"] as? Int ?? 0
                answer = try await client.send(.get, "/credit-notes/\(correction)", tokens.reader)
                let line = (answer.object["lines"] as? [[String: Any]])?.first
                #expect(line?["kind"] as? String == "price" && line?["net_amount"] as? String == "10" && line?["tax_amount"] as? String == "2.1")
                answer = try await client.send(.post, "/credit-notes/\(correction)/posting", poster)
                #expect(answer.status == 200 && answer.object["number"] as? Int == 1, "\(answer.text)")
                #expect(try await Self.balance(client, tokens) == "84.7")
                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 1, "amounts": [["line": 1, "amount": "41"]]])
                #expect(answer.status == 422 && answer.field == "amounts[1]", "40 of the net is left: \(answer.text)")

                answer = try await client.send(.post, "/customers/ACME/hold", clerk, json: ["sales_invoice": true])
                #expect(answer.status == 200)
                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 2])
                #expect(answer.status == 201, "\(answer.text)")
                let whole = answer.object["credit_note_id"] as? Int ?? 0
                answer = try await client.send(.post, "/credit-notes/\(whole)/preview", clerk)
                #expect(answer.object["can_post"] as? Bool == false && answer.object["total"] as? String == "24.2", "\(answer.text)")
                answer = try await client.send(.post, "/credit-notes/\(whole)/posting", poster)
                #expect(answer.status == 422 && answer.type == "posting-refused", "\(answer.text)")
                let blocked = answer.object["findings"] as? [[String: Any]] ?? []
                #expect(blocked.map { $0["invoice"] as? String } == ["credit note draft \(whole)"])
                #expect(blocked.flatMap { $0["findings"] as? [[String: Any]] ?? [] }.map { $0["rule"] as? String } == ["on-hold"])
                answer = try await client.send(.get, "/credit-notes/\(whole)", tokens.reader)
                #expect(answer.object["status"] as? String == "draft")
                _ = try await client.send(.post, "/customers/ACME/release", clerk)
                answer = try await client.send(.post, "/credit-notes/\(whole)/posting", poster)
                #expect(answer.status == 200 && answer.object["number"] as? Int == 2, "\(answer.text)")
                #expect(try await Self.balance(client, tokens) == "60.5")
                answer = try await client.send(.get, "/credit-notes/\(whole)", tokens.reader)
                #expect(answer.object["unallocated"] as? String == "24.2", "invoice 2 was paid: the credit is the customer's")

                answer = try await client.send(.post, "/credit-notes/\(whole)/allocations", clerk, json: ["allocations": [["invoice_number": 3]]])
                #expect(answer.status == 403, "allocating credit is a poster's")
                answer = try await client.send(
                    .post, "/credit-notes/\(whole)/allocations", poster, json: ["allocations": [["invoice_number": 3, "amount": "10"]]])
                #expect(answer.status == 200 && answer.object["allocated"] as? String == "10", "\(answer.text)")
                answer = try await client.send(
                    .post, "/credit-notes/\(whole)/allocations", poster, json: ["allocations": [["invoice_number": 3, "amount": "20"]]])
                #expect(answer.status == 422 && answer.field == "allocations[1].amount", "14.2 is left: \(answer.text)")
                answer = try await client.send(.post, "/credit-notes/\(whole)/allocations", poster, json: ["allocations": []])
                #expect(answer.status == 400 && answer.field == "allocations", "\(answer.text)")

                answer = try await client.send(.post, "/refunds", clerk, json: ["customer": "ACME", "amount": "4.2", "credit_note_number": 2])
                #expect(answer.status == 403, "money out is a poster's")
                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "ACME", "amount": "20", "credit_note_number": 2])
                #expect(answer.status == 422 && answer.field == "amount", "\(answer.text)")
                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "ACME", "amount": "4.2", "credit_note_number": 2])
                #expect(answer.status == 201 && (answer.object["payment_id"] as? Int ?? 0) > 0, "\(answer.text)")
                let refund = answer.object["payment_id"] as? Int
                #expect(try await Self.balance(client, tokens) == "64.7", "a refund raises the balance")
                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "ACME", "amount": "1", "credit_note_number": 9])
                #expect(answer.status == 404 && answer.field == "credit_note_number", "\(answer.text)")
                answer = try await client.send(.post, "/credit-notes/\(whole)/allocations", poster, json: ["allocations": [["invoice_number": 3]]])
                #expect(answer.status == 200 && answer.object["allocated"] as? String == "10", "what is left: \(answer.text)")
                answer = try await client.send(.get, "/credit-notes/\(whole)", tokens.reader)
                #expect(answer.object["unallocated"] as? String == "0")
                let shares = answer.object["allocations"] as? [[String: Any]] ?? []
                #expect(shares.map { $0["invoice_number"] as? Int } == [3, nil, 3], "\(answer.text)")
                #expect(shares.map { $0["refund"] as? Int } == [nil, refund, nil] && shares.map { $0["amount"] as? String } == ["10", "4.2", "10"])

                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "ACME", "amount": "1"])
                #expect(answer.status == 422 && answer.field == "amount", "ACME owes, so it has no credit to refund: \(answer.text)")
                answer = try await client.send(.post, "/payments", poster, json: ["customer": "HOLD", "amount": "50"])
                #expect(answer.status == 201)
                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "HOLD", "amount": "30", "reference": "overpaid"])
                #expect(answer.status == 201, "\(answer.text)")
                answer = try await client.send(.post, "/refunds", poster, json: ["customer": "HOLD", "amount": "30"])
                #expect(answer.status == 422 && answer.field == "amount", "20 of credit is left: \(answer.text)")
                #expect(try await Self.balance(client, tokens, "HOLD") == "-20")

                answer = try await client.send(.post, "/credit-notes", clerk, json: ["invoice_number": 3, "lines": [["line": 1, "quantity": "1"]]])
                let draft = answer.object["credit_note_id"] as? Int ?? 0
                answer = try await client.send(.post, "/credit-notes/\(draft)/allocations", poster, json: ["allocations": [["invoice_number": 1]]])
                #expect(answer.status == 422 && answer.field == "id", "a draft has no credit yet: \(answer.text)")
                answer = try await client.send(.get, "/credit-notes?customer=ACME", tokens.reader)
                #expect(answer.list.map { $0["credit_note_id"] as? Int } == [draft, whole, correction], "newest first: \(answer.text)")
                #expect(answer.list.map { $0["status"] as? String } == ["draft", "posted", "posted"])
                #expect(answer.list.first?["unallocated"] == nil && answer.list.last?["unallocated"] as? String == "0")
                answer = try await client.send(.get, "/credit-notes?customer=HOLD", tokens.reader)
                #expect(answer.status == 200 && answer.list.isEmpty)
                answer = try await client.send(.delete, "/credit-notes/\(draft)", clerk)
                #expect(answer.status == 204)
                answer = try await client.send(.get, "/credit-notes/\(draft)", tokens.reader)
                #expect(answer.status == 404)
            }
        }
    }
}
