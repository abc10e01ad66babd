import Foundation
import HTTPTypes
import Hummingbird
import Postgate
import Postgres

// The invoice page's credit note form: what each line of a posted invoice has left to credit, the
// serials sold that have not come back, and a draft credit note made of what was filled in. The
// database computes the amounts and checks everything; a refusal shows the form again as it was
// filled in, with the refusal, and changes nothing.
extension Console {
    /// Where returned goods may go: every active location.
    func returnLocations() async throws -> [String] {
        try await CatalogStore(pool: pool).locations().map(\.code)
    }

    struct LocationChoice: Sendable {
        var code: String
        var selected: Bool
    }

    struct CreditSerialChoice: Sendable {
        var id: String
        var value: Int
        var label: String
        var batch: Bool
        var left: String
        var quantity: String
        var checked: Bool
    }

    struct CreditLineForm: Sendable {
        var line: Int
        var product: String
        var productName: String
        var sold: String
        var left: String
        var netLeft: String
        /// Something is left to credit by quantity; by a price correction.
        var byQuantity: Bool
        var byPrice: Bool
        var open: Bool
        var quantity: String
        var serials: [CreditSerialChoice]
        var hasSerials: Bool
        var kit: Bool
        var returns: Bool
        /// The line left stock from a location, so its goods may come back to one.
        var stocked: Bool
        var locations: [LocationChoice]
        var amount: String
        var quantityInvalid = false
        var serialsInvalid = false
        var locationInvalid = false
        var amountInvalid = false
    }

    struct CreditForm: Sendable {
        var lines: [CreditLineForm]
        var reason: String
        var error: String?
        var wholeReason: String
        var wholeReturns: Bool
        var wholeError: String?
    }

    /// A refusal of the form: its message, and the invoice line and control it is about.
    struct CreditRefusal: Error {
        var message: String
        var line: Int?
        var control: String?
        var status: HTTPResponse.Status = .badRequest
    }

    /// A refused form, to show again as it was filled in.
    struct CreditSubmission: Sendable {
        var form: ConsoleForm
        var whole: Bool
        var message: String
        var line: Int?
        var control: String?
    }

    func creditForm(_ invoice: Invoice, locations: [String], _ submission: CreditSubmission?) -> CreditForm {
        let values = submission.flatMap { $0.whole ? nil : $0.form }
        let lines = invoice.lines.map { line in
            let left = line.quantity - line.credited
            let netLeft = max(line.netAmount - line.creditedNet, 0)
            let ticked = Set(values?.all("serial-\(line.line)") ?? [])
            let serials = line.serials.enumerated().compactMap { offset, serial -> CreditSerialChoice? in
                let serialLeft = serial.quantity - serial.returned
                guard serialLeft > 0 else { return nil }
                let index = offset + 1
                let batch = serial.tracking == .batch
                return CreditSerialChoice(
                    id: "cn-serial-\(line.line)-\(index)", value: index, label: serial.serial + (serial.product.map { " (\($0))" } ?? ""),
                    batch: batch,
                    left: ConsoleFormat.quantity(serialLeft), quantity: values?["serial-\(line.line)-\(index)-quantity"] ?? "",
                    checked: ticked.contains(String(index)))
            }
            let origin = line.location
            let chosen = values?["location-\(line.line)"] ?? origin
            var codes = locations
            if let origin, !codes.contains(origin) { codes.insert(origin, at: 0) }
            var form = CreditLineForm(
                line: line.line, product: line.product, productName: line.productName, sold: ConsoleFormat.quantity(line.quantity),
                left: ConsoleFormat.quantity(max(left, 0)), netLeft: ConsoleFormat.money(netLeft), byQuantity: left > 0, byPrice: netLeft > 0,
                open: left > 0 || netLeft > 0, quantity: values?["quantity-\(line.line)"] ?? "", serials: left > 0 ? serials : [],
                hasSerials: left > 0 && !serials.isEmpty, kit: line.serials.contains { $0.product != nil },
                returns: values.map { $0["return-\(line.line)"] != nil } ?? true, stocked: origin != nil,
                locations: codes.map { LocationChoice(code: $0, selected: $0 == chosen) }, amount: values?["amount-\(line.line)"] ?? "")
            if let submission, !submission.whole, submission.line == line.line {
                form.quantityInvalid = submission.control == "quantity"
                form.serialsInvalid = submission.control == "serials"
                form.locationInvalid = submission.control == "location"
                form.amountInvalid = submission.control == "amount"
            }
            return form
        }
        let whole = submission?.whole == true ? submission : nil
        return CreditForm(
            lines: lines, reason: values?["reason"] ?? "", error: submission?.whole == false ? submission?.message : nil,
            wholeReason: whole?.form["reason"] ?? "", wholeReturns: whole.map { $0.form["return"] != nil } ?? true, wholeError: whole?.message)
    }

    /// The credit note a submitted form asks for: only the lines given a quantity (or serials) or an
    /// amount. A form that gives nothing is refused, never sent: an empty credit note credits the
    /// whole invoice, which is the separate form's job.
    static func newCreditNote(_ form: ConsoleForm, _ invoice: Invoice, number: Int64) throws -> NewCreditNote {
        let reason = form["reason"]
        if form["whole"] != nil { return NewCreditNote(invoiceNumber: number, reason: reason, return: form["return"] != nil) }
        var lines: [NewCreditNote.Line] = []
        var amounts: [NewCreditNote.Amount] = []
        for line in invoice.lines {
            let number = line.line
            func refuse(_ control: String, _ text: String) -> CreditRefusal {
                CreditRefusal(message: "Invoice line \(number), \(text)", line: number, control: control)
            }
            var quantity: Decimal?
            if let text = form["quantity-\(number)"] {
                guard let value = Decimal(decimalLiteral: text), value >= 0 else {
                    throw refuse("quantity", "quantity to credit: write a quantity such as 1 or 2.5, not '\(text)'.")
                }
                if value > 0 { quantity = value }
            }
            let returns = form["return-\(number)"] != nil
            var serials: [SerialEntry] = []
            var ticked: Decimal = 0
            for value in form.all("serial-\(number)") {
                guard let index = Int(value), line.serials.indices.contains(index - 1) else {
                    throw refuse("serials", "serials: '\(value)' is not one of the serials the line sold; reload the page and tick them again.")
                }
                let serial = line.serials[index - 1]
                var given: Decimal?
                if serial.tracking == .batch, let text = form["serial-\(number)-\(index)-quantity"] {
                    guard let value = Decimal(decimalLiteral: text), value > 0 else {
                        throw refuse("serials", "quantity of \(serial.serial): write a positive quantity such as 5 or 2.5, not '\(text)'.")
                    }
                    given = value
                }
                serials.append(SerialEntry(serial.serial, quantity: given, product: serial.product))
                ticked += given ?? (serial.tracking == .batch ? max(serial.quantity - serial.returned, 0) : 1)
            }
            if quantity == nil, !serials.isEmpty {
                // A kit's serials are its components': how many kits they make is for the clerk to say.
                guard !line.serials.contains(where: { $0.product != nil }) else {
                    throw refuse("quantity", "quantity to credit: write how many \(line.product) come back with the serials ticked.")
                }
                quantity = ticked
            }
            if let quantity {
                lines.append(
                    NewCreditNote.Line(
                        line: number, quantity: quantity, serials: serials.isEmpty ? nil : serials,
                        location: returns && line.location != nil ? form["location-\(number)"] : nil, return: returns))
            }
            if let text = form["amount-\(number)"] {
                guard let value = Decimal(decimalLiteral: text.replacingOccurrences(of: ",", with: "")), value >= 0 else {
                    throw refuse("amount", "price correction: write a net amount such as 25.50, not '\(text)'.")
                }
                if value > 0 { amounts.append(NewCreditNote.Amount(line: number, amount: value)) }
            }
        }
        guard !lines.isEmpty || !amounts.isEmpty else {
            throw CreditRefusal(
                message:
                    "Nothing was given to credit, so nothing was drafted: give a line a quantity to credit (or tick its serials) or a price correction. To credit all that is left of the invoice, use Credit the whole invoice."
            )
        }
        return NewCreditNote(invoiceNumber: number, reason: reason, lines: lines.isEmpty ? nil : lines, amounts: amounts.isEmpty ? nil : amounts)
    }

    /// A database refusal of a credit note, pointed at the invoice line and control its field names
    /// (`lines[2].quantity` is the second line sent, `amounts[1].amount` the first amount).
    static func creditRefusal(_ error: Error, _ note: NewCreditNote?) -> CreditRefusal {
        let text = describe(error)
        var refusal = CreditRefusal(message: text.prefix(1).uppercased() + text.dropFirst(), status: .init(code: Problem(error).status))
        guard let field = (error as? DomainError)?.field, let note,
            let match = field.wholeMatch(of: /(lines|amounts)\[([0-9]+)\](?:\.([a-z_]+))?.*/), let index = Int(match.2), index >= 1
        else { return refusal }
        if match.1 == "lines", let lines = note.lines, index <= lines.count {
            let control = match.3.map(String.init) ?? ""
            refusal.line = lines[index - 1].line
            refusal.control = control == "serials" || control == "location" ? control : "quantity"
        } else if match.1 == "amounts", let amounts = note.amounts, index <= amounts.count {
            refusal.line = amounts[index - 1].line
            refusal.control = "amount"
        }
        // Some refusals do not say which line they are about: the form's own numbering does.
        if let line = refusal.line, !refusal.message.lowercased().contains("line") {
            refusal.message = "Invoice line \(line): " + refusal.message
        }
        return refusal
    }

    /// Drafts a credit note from the invoice page's form, and goes to it; a refusal shows the
    /// invoice page again with the form as it was filled in.
    func draftCreditNote(_ id: Int64, _ form: ConsoleForm, _ user: User) async throws -> Response {
        let invoice = try await InvoiceStore(pool: pool).invoice(id)
        guard invoice.isPosted, let number = invoice.number else {
            throw ConsoleInputError(field: "Invoice \(id)", message: "it is a draft, and only a posted invoice is credited")
        }
        var note: NewCreditNote?
        let refusal: CreditRefusal
        do {
            let new = try Self.newCreditNote(form, invoice, number: number)
            note = new
            let made = try await CreditNoteStore(pool: pool).create(new)
            await sessions.flash(
                "ok", "Draft credit note \(made) is made: check what the posting rules say of it, then post it.", in: user.session.id)
            return Self.redirect("/console/credit-notes/\(made)")
        } catch let error as CreditRefusal {
            refusal = error
        } catch let error as DomainError {
            refusal = Self.creditRefusal(error, note)
        }
        let submission = CreditSubmission(
            form: form, whole: form["whole"] != nil, message: refusal.message, line: refusal.line, control: refusal.control)
        return try await invoicePage(id, user, credit: submission, status: refusal.status)
    }
}
