import Foundation
import OpenAPIRuntime
import Postgate
import Postgres

// Products, buildups, prices, item types, locations, stock documents, on-hand and serials.
extension PostgateAPI {
    public func listProducts(_ input: Operations.ListProducts.Input) async throws -> Operations.ListProducts.Output {
        await respond(Operations.ListProducts.Output.default) {
            let products = try await CatalogStore(pool: pool).products(
                search: input.query.search, limit: input.query.limit ?? 100, offset: input.query.offset ?? 0)
            return .ok(
                .init(
                    body: .json(
                        products.map {
                            .init(
                                code: $0.code, name: $0.name, unit: $0.unit, serialTracking: .init(rawValue: $0.serialTracking.rawValue) ?? .none,
                                isBuildup: $0.isBuildup, active: $0.active, onHand: $0.onHand.description, version: $0.version)
                        })))
        }
    }

    public func getProduct(_ input: Operations.GetProduct.Input) async throws -> Operations.GetProduct.Output {
        await respond(Operations.GetProduct.Output.default) {
            let product = try await CatalogStore(pool: pool).product(input.path.code)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            code: product.code, name: product.name, unit: product.unit, defaultTaxRate: product.defaultTaxRate,
                            customerItemType: product.customerItemType, serialTracking: .init(rawValue: product.serialTracking.rawValue) ?? .none,
                            trackOn: .init(rawValue: product.trackOn.rawValue) ?? .sales, trackExpiry: product.trackExpiry,
                            isBuildup: product.isBuildup, active: product.active, onHand: product.onHand.description, version: product.version,
                            components: product.components.map { .init(product: $0.product, quantity: $0.quantity.description) }))))
        }
    }

    public func saveProduct(_ input: Operations.SaveProduct.Input) async throws -> Operations.SaveProduct.Output {
        await respond(Operations.SaveProduct.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            var fields = ProductFields(code: input.path.code, name: body.name)
            fields.unit = body.unit
            fields.defaultTaxRate = body.defaultTaxRate
            fields.customerItemType = body.customerItemType
            fields.serialTracking = body.serialTracking.flatMap { SerialTracking(rawValue: $0.rawValue) }
            fields.trackOn = body.trackOn.flatMap { TrackOn(rawValue: $0.rawValue) }
            fields.trackExpiry = body.trackExpiry
            fields.isBuildup = body.isBuildup
            fields.active = body.active
            let version = try await CatalogStore(pool: pool).saveProduct(fields, version: body.version)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func setBuildup(_ input: Operations.SetBuildup.Input) async throws -> Operations.SetBuildup.Output {
        await respond(Operations.SetBuildup.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let components = try body.components.enumerated().map { index, component in
                Product.Component(
                    product: component.product, quantity: try Self.decimal(component.quantity, field: "components[\(index + 1)].quantity"))
            }
            let version = try await CatalogStore(pool: pool).setBuildup(input.path.code, components: components)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func getPrice(_ input: Operations.GetPrice.Input) async throws -> Operations.GetPrice.Output {
        await respond(Operations.GetPrice.Output.default) {
            let date = try Self.date(input.query.date, field: "date")
            let price = try await CatalogStore(pool: pool).price(priceList: input.path.priceList, product: input.path.code, on: date)
            return .ok(
                .init(
                    body: .json(.init(product: input.path.code, priceList: input.path.priceList, date: date?.description, price: price.description))
                ))
        }
    }

    public func setPrice(_ input: Operations.SetPrice.Input) async throws -> Operations.SetPrice.Output {
        await respond(Operations.SetPrice.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            try await CatalogStore(pool: pool).setPrice(
                priceList: input.path.priceList, product: input.path.code, price: try Self.decimal(body.price, field: "price"),
                validFrom: try Self.date(body.validFrom, field: "valid_from"))
            return .noContent(.init())
        }
    }

    public func saveItemType(_ input: Operations.SaveItemType.Input) async throws -> Operations.SaveItemType.Output {
        await respond(Operations.SaveItemType.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let version = try await CatalogStore(pool: pool).saveItemType(
                input.path.code, name: body.name, warrantyMonths: body.warrantyMonths ?? 0, serviceIntervalMonths: body.serviceIntervalMonths,
                version: body.version)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func saveLocation(_ input: Operations.SaveLocation.Input) async throws -> Operations.SaveLocation.Output {
        await respond(Operations.SaveLocation.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let version = try await CatalogStore(pool: pool).saveLocation(
                input.path.code, name: body.name, active: body.active ?? true, version: body.version)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func receiveStock(_ input: Operations.ReceiveStock.Input) async throws -> Operations.ReceiveStock.Output {
        await respond(Operations.ReceiveStock.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await postStock(.receipt(location: body.location), body.lines, date: body.date, reference: body.reference, notes: body.notes)
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    public func transferStock(_ input: Operations.TransferStock.Input) async throws -> Operations.TransferStock.Output {
        await respond(Operations.TransferStock.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await postStock(
                .transfer(from: body.from, to: body.to), body.lines, date: body.date, reference: body.reference, notes: body.notes)
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    public func writeOffStock(_ input: Operations.WriteOffStock.Input) async throws -> Operations.WriteOffStock.Output {
        await respond(Operations.WriteOffStock.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await postStock(
                .writeOff(location: body.location), body.lines, date: body.date, reference: body.reference, notes: body.notes)
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    public func stockOnHand(_ input: Operations.StockOnHand.Input) async throws -> Operations.StockOnHand.Output {
        await respond(Operations.StockOnHand.Output.default) {
            let rows = try await StockStore(pool: pool).onHand(product: input.query.product, location: input.query.location)
            return .ok(
                .init(
                    body: .json(
                        rows.map { .init(product: $0.product, location: $0.location, quantity: $0.quantity.description, serials: $0.serials) })))
        }
    }

    public func pickSerials(_ input: Operations.PickSerials.Input) async throws -> Operations.PickSerials.Output {
        await respond(Operations.PickSerials.Output.default) {
            let serials = try await StockStore(pool: pool).pickSerials(
                product: input.query.product, location: input.query.location, limit: input.query.limit ?? 100)
            return .ok(
                .init(body: .json(serials.map { .init(serial: $0.serial, quantity: $0.quantity.description, expiry: $0.expiry?.description) })))
        }
    }

    public func findSerials(_ input: Operations.FindSerials.Input) async throws -> Operations.FindSerials.Output {
        await respond(Operations.FindSerials.Output.default) {
            let serials = try await StockStore(pool: pool).findSerials(
                input.query.search, status: input.query.status?.rawValue, limit: input.query.limit ?? 200)
            return .ok(
                .init(
                    body: .json(
                        serials.map {
                            .init(
                                serial: $0.serial, product: $0.product, productName: $0.productName,
                                tracking: .init(rawValue: $0.tracking.rawValue) ?? .none, status: $0.status, location: $0.location,
                                onHand: $0.onHand.description, expiry: $0.expiry?.description, customer: $0.customer, addedAtSale: $0.addedAtSale)
                        })))
        }
    }

    public func serialHistory(_ input: Operations.SerialHistory.Input) async throws -> Operations.SerialHistory.Output {
        await respond(Operations.SerialHistory.Output.default) {
            let events = try await StockStore(pool: pool).history(serial: input.path.serial, product: input.query.product)
            return .ok(
                .init(
                    body: .json(
                        events.map {
                            .init(
                                serial: $0.serial, product: $0.product, date: $0.date.description, documentKind: $0.documentKind,
                                documentId: $0.documentID, reference: $0.reference, location: $0.location, quantity: $0.quantity.description,
                                customer: $0.customer)
                        })))
        }
    }

    /// A stock document of the body's lines, posted whole or not at all; its id.
    func postStock(
        _ movement: StockMovement, _ lines: [Components.Schemas.StockLine], date: String?, reference: String?, notes: String?
    ) async throws -> Int64 {
        let lines = try lines.enumerated().map { index, line in
            StockLine(
                product: line.product, quantity: try Self.decimal(line.quantity, field: "lines[\(index + 1)].quantity"),
                serials: try Self.serials(line.serials, field: "lines[\(index + 1)].serials"))
        }
        let document = StockDocument(movement, lines: lines, date: try Self.date(date, field: "date"), reference: reference, notes: notes)
        return try await StockStore(pool: pool).post(document)
    }
}
