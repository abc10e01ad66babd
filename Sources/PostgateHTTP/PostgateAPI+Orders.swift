import Foundation
import OpenAPIRuntime
import Postgate
import Postgres
import PostingPolicy

// Sales orders, goods shipments, Generate Invoices and invoice schedule dates.
extension PostgateAPI {
    var orders: OrderStore { OrderStore(pool: pool, actor: actorName) }

    public func listOrders(_ input: Operations.ListOrders.Input) async throws -> Operations.ListOrders.Output {
        await respond(Operations.ListOrders.Output.default) {
            let found = try await orders.list(
                customer: input.query.customer, status: input.query.status.flatMap { OrderStatus(rawValue: $0.rawValue) },
                limit: input.query.limit ?? 1000)
            return .ok(
                .init(
                    body: .json(
                        found.map {
                            .init(
                                orderId: $0.orderID, number: $0.number, status: .init(rawValue: $0.status.rawValue) ?? .draft, customer: $0.customer,
                                date: $0.date.description, reference: $0.reference, currency: $0.currency, total: $0.total.description,
                                openLines: $0.openLines)
                        })))
        }
    }

    public func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        await respond(Operations.CreateOrder.Output.default) {
            guard case .json(let order) = input.body else { throw Problem.badBody("a JSON object") }
            let lines = try Self.orderLines(order.lines ?? [])
            // Created and booked together, or not at all.
            let (created, number, findings) = try await pool.withOneTransaction { _ in
                let created = try await orders.create(
                    NewOrder(
                        customer: order.customer, location: order.location, date: try Self.date(order.date, field: "date"), reference: order.reference
                    ),
                    lines: lines)
                guard order.book == true else { return (created, Int64?.none, [Finding]()) }
                let booked = try await orders.book(created.id)
                return (created, Optional(booked.number), booked.decision.findings)
            }
            return .created(
                .init(
                    body: .json(
                        .init(orderId: created.id, number: number, alerts: created.alerts.map(Self.alert), findings: findings.map(Self.finding)))))
        }
    }

    public func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        await respond(Operations.GetOrder.Output.default) {
            let order = try await orders.order(input.path.id)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: order.id, number: order.number, status: .init(rawValue: order.status.rawValue) ?? .draft, customer: order.customer,
                            invoiceTerms: order.invoiceTerms, date: order.date.description, currency: order.currency, location: order.location,
                            reference: order.reference, total: order.total.description, version: order.version,
                            lines: order.lines.map { line in
                                .init(
                                    line: line.line, product: line.product, location: line.location, quantity: line.quantity.description,
                                    unitPrice: line.unitPrice.description, netAmount: line.netAmount.description,
                                    taxAmount: line.taxAmount.description,
                                    shipped: line.shipped.description, invoiced: line.invoiced.description, open: line.open.description)
                            },
                            alerts: order.alerts.map(Self.alert), findings: order.findings.map(Self.finding)))))
        }
    }

    public func deleteDraftOrder(_ input: Operations.DeleteDraftOrder.Input) async throws -> Operations.DeleteDraftOrder.Output {
        await respond(Operations.DeleteDraftOrder.Output.default) {
            try await orders.delete(input.path.id)
            return .noContent(.init())
        }
    }

    public func addOrderLines(_ input: Operations.AddOrderLines.Input) async throws -> Operations.AddOrderLines.Output {
        await respond(Operations.AddOrderLines.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let lines = try Self.orderLines(body.lines)
            let numbers = try await pool.withOneTransaction { _ in
                var numbers: [Int] = []
                for line in lines { numbers.append(try await orders.addLine(input.path.id, line)) }
                return numbers
            }
            return .created(.init(body: .json(.init(lines: numbers))))
        }
    }

    public func bookOrder(_ input: Operations.BookOrder.Input) async throws -> Operations.BookOrder.Output {
        await respond(Operations.BookOrder.Output.default) {
            let booked = try await orders.book(input.path.id)
            return .ok(.init(body: .json(.init(number: booked.number, findings: booked.decision.findings.map(Self.finding)))))
        }
    }

    public func closeOrder(_ input: Operations.CloseOrder.Input) async throws -> Operations.CloseOrder.Output {
        await respond(Operations.CloseOrder.Output.default) {
            if input.query.cancel == true { try await orders.cancel(input.path.id) } else { try await orders.close(input.path.id) }
            return .noContent(.init())
        }
    }

    public func createShipment(_ input: Operations.CreateShipment.Input) async throws -> Operations.CreateShipment.Output {
        await respond(Operations.CreateShipment.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let lines = try body.lines.map { lines in
                try lines.enumerated().map { index, line in
                    NewShipmentLine(
                        line: line.line, quantity: try Self.decimal(line.quantity, field: "lines[\(index + 1)].quantity"),
                        serials: try line.serials.map { try Self.serials($0, field: "lines[\(index + 1)].serials") })
                }
            }
            let shipment = NewShipment(order: body.order, date: try Self.date(body.date, field: "date"), reference: body.reference, lines: lines)
            let (id, alerts, number) = try await pool.withOneTransaction { _ in
                let (id, alerts) = try await orders.createShipment(shipment)
                let number = body.complete == true ? try await orders.completeShipment(id) : nil
                return (id, alerts, number)
            }
            return .created(.init(body: .json(.init(shipmentId: id, number: number, alerts: alerts.map(Self.alert)))))
        }
    }

    public func getShipment(_ input: Operations.GetShipment.Input) async throws -> Operations.GetShipment.Output {
        await respond(Operations.GetShipment.Output.default) {
            let shipment = try await orders.shipment(input.path.id)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: shipment.id, number: shipment.number, status: .init(rawValue: shipment.status) ?? .draft, orderId: shipment.orderId,
                            orderNumber: shipment.orderNumber, customer: shipment.customer, date: shipment.date.description,
                            reference: shipment.reference,
                            lines: shipment.lines.map { line in
                                .init(
                                    line: line.line, orderLine: line.orderLine, product: line.product, location: line.location,
                                    quantity: line.quantity.description, invoiced: line.invoiced,
                                    serials: line.serials.map { .init(serial: $0.serial, quantity: $0.quantity?.description) })
                            }))))
        }
    }

    public func deleteDraftShipment(_ input: Operations.DeleteDraftShipment.Input) async throws -> Operations.DeleteDraftShipment.Output {
        await respond(Operations.DeleteDraftShipment.Output.default) {
            try await orders.deleteShipment(input.path.id)
            return .noContent(.init())
        }
    }

    public func completeShipment(_ input: Operations.CompleteShipment.Input) async throws -> Operations.CompleteShipment.Output {
        await respond(Operations.CompleteShipment.Output.default) {
            .ok(.init(body: .json(.init(number: try await orders.completeShipment(input.path.id)))))
        }
    }

    public func previewInvoiceGeneration(
        _ input: Operations.PreviewInvoiceGeneration.Input
    ) async throws
        -> Operations.PreviewInvoiceGeneration.Output
    {
        await respond(Operations.PreviewInvoiceGeneration.Output.default) {
            let made = try await orders.previewInvoices(on: try Self.date(input.query.date, field: "date"))
            return .ok(.init(body: .json(made.map(Self.generated))))
        }
    }

    public func generateInvoices(_ input: Operations.GenerateInvoices.Input) async throws -> Operations.GenerateInvoices.Output {
        await respond(Operations.GenerateInvoices.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let made = try await orders.generateInvoices(on: try Self.date(body.date, field: "date"))
            return .ok(.init(body: .json(made.map(Self.generated))))
        }
    }

    public func setScheduleDates(_ input: Operations.SetScheduleDates.Input) async throws -> Operations.SetScheduleDates.Output {
        await respond(Operations.SetScheduleDates.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let dates = try body.dates.enumerated().map { index, text in try Self.date(text, field: "dates[\(index + 1)]") }
            return .ok(.init(body: .json(.init(count: try await orders.setScheduleDates(input.path.code, dates)))))
        }
    }

    static func orderLines(_ lines: [Components.Schemas.NewOrderLine], field: String = "lines") throws -> [NewOrderLine] {
        try lines.enumerated().map { index, line in
            let name = "\(field)[\(index + 1)]"
            return NewOrderLine(
                product: line.product, quantity: try decimal(line.quantity, field: "\(name).quantity"),
                unitPrice: try decimal(line.unitPrice, field: "\(name).unit_price"), taxRate: line.taxRate, location: line.location)
        }
    }

    static func generated(_ item: GeneratedInvoice) -> Components.Schemas.GeneratedInvoice {
        .init(
            customer: item.customer, invoiceTerms: item.invoiceTerms, orderNumber: item.orderNumber, invoiceId: item.invoiceID, lines: item.lines,
            currency: item.currency, total: item.total.description, skippedBecause: item.skippedBecause)
    }
}
