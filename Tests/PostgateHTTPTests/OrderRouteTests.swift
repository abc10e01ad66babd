import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgate
import PostgateHTTP
import Postgres
import Testing

@Suite("Sales orders, shipments and Generate Invoices over HTTP")
struct OrderRouteTests {
    @Test("an order booked, shipped in part, invoiced by Generate Invoices and posted; holds and over-shipment refused; a reader only reads")
    func salesFlow() async throws {
        try await withService { app, pool, tokens in
            try await pool.query(
                """
                SELECT api.create_customer('{"code": "DEL", "name": "Deliver", "price_list": "SALES", "payment_terms": "NET30",
                                             "invoice_terms": "after_delivery"}')
                """)
            try await app.test(.router) { client in
                let clerk = tokens.clerk
                var answer = try await client.send(
                    .post, "/orders", clerk,
                    json: [
                        "customer": "DEL", "location": "MAIN", "date": "2026-03-02", "lines": [["product": "CABLE", "quantity": "10"]], "book": true,
                    ])
                #expect(answer.status == 201 && answer.object["number"] as? Int == 1, "\(answer.text)")
                let order = answer.object["order_id"] as? Int ?? 0
                answer = try await client.send(.post, "/orders/\(order)/lines", clerk, json: ["lines": [["product": "CABLE", "quantity": "1"]]])
                #expect(answer.status == 423, "a booked order's lines no longer change: \(answer.text)")
                answer = try await client.send(.post, "/shipments", clerk, json: ["order": order, "lines": [["line": 1, "quantity": "11"]]])
                #expect(answer.status == 422 && answer.field == "lines[1].quantity", "\(answer.text)")
                answer = try await client.send(
                    .post, "/shipments", clerk,
                    json: ["order": order, "date": "2026-03-03", "lines": [["line": 1, "quantity": "6"]], "complete": true])
                #expect(answer.status == 201 && answer.object["number"] as? Int == 1, "\(answer.text)")
                let shipment = answer.object["shipment_id"] as? Int ?? 0
                answer = try await client.send(.get, "/shipments/\(shipment)", tokens.reader)
                #expect(answer.status == 200 && answer.object["status"] as? String == "completed")
                answer = try await client.send(.get, "/orders/\(order)", tokens.reader)
                let line = (answer.object["lines"] as? [[String: Any]])?.first
                #expect(line?["shipped"] as? String == "6" && line?["open"] as? String == "4", "\(answer.text)")
                answer = try await client.send(.get, "/invoice-generation?date=2026-03-03", tokens.reader)
                #expect(answer.list.count == 1 && answer.list.first?["total"] as? String == "72.6", "\(answer.text)")
                answer = try await client.send(.post, "/invoice-generation", tokens.reader, json: ["date": "2026-03-03"])
                #expect(answer.status == 403, "a reader does not generate")
                answer = try await client.send(.post, "/invoice-generation", clerk, json: ["date": "2026-03-03"])
                let invoice = answer.list.first?["invoice_id"] as? Int ?? 0
                #expect(answer.status == 200 && invoice > 0, "\(answer.text)")
                answer = try await client.send(.post, "/invoice-generation", clerk, json: ["date": "2026-03-03"])
                #expect(answer.status == 200 && answer.list.isEmpty, "nothing twice")
                answer = try await client.send(.post, "/postings", tokens.poster, json: ["invoice_ids": [invoice]])
                #expect(answer.status == 200, "\(answer.text)")
                answer = try await client.send(.get, "/orders?customer=DEL&status=booked", tokens.reader)
                #expect(answer.list.count == 1 && answer.list.first?["open_lines"] as? Int == 1)
                answer = try await client.send(.post, "/orders/\(order)/closing?cancel=true", clerk)
                #expect(answer.status == 422, "shipped: closed, not cancelled")
                answer = try await client.send(.post, "/orders/\(order)/closing", clerk)
                #expect(answer.status == 204)
                // Holds: the booking refusal names its finding.
                answer = try await client.send(
                    .post, "/orders", clerk, json: ["customer": "HOLD", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]]])
                let held = answer.object["order_id"] as? Int ?? 0
                answer = try await client.send(.post, "/orders/\(held)/booking", clerk)
                #expect(answer.status == 422 && answer.type == "booking-refused", "\(answer.text)")
                answer = try await client.send(
                    .post, "/orders", clerk,
                    json: ["customer": "HOLD", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]], "book": true])
                #expect(answer.status == 422, "create-and-book is whole: refused, nothing made")
                answer = try await client.send(.get, "/orders?customer=HOLD", clerk)
                #expect(answer.list.count == 1)
                answer = try await client.send(.delete, "/orders/\(held)", clerk)
                #expect(answer.status == 204)
                answer = try await client.send(.put, "/invoice-schedules/NOPE/dates", clerk, json: ["dates": ["2026-03-31"]])
                #expect(answer.status == 404, "\(answer.text)")
            }
        }
    }
}
