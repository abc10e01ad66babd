import Foundation
import PostgresServer
import TestSupport
import Testing

@testable import PostgateHTTP

/// The request checks are made from openapi.yaml by the build: every operation is in the table,
/// money is the named schema `Money`, and a keyword the checks do not enforce stops the build.
@Suite("The request contract, from the spec at build time")
struct SpecificationTableTests {
    @Test("every operation of the spec is checked, and the checks can work")
    func complete() throws {
        let spec = Specification.shared
        #expect(spec.problems.isEmpty)
        try spec.ready()
        let source = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/PostgateHTTP/openapi.yaml"),
            encoding: .utf8)
        let ids = source.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "operationId: ") else { return nil }
            return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        #expect(ids.count > 50)
        #expect(Set(spec.operations.keys) == Set(ids))
    }

    @Test("money is the named schema Money; minProperties is enforced with the spec's own words")
    func namedSchemas() throws {
        let spec = Specification.shared
        let money = spec.problem(
            operationID: "exportAdjustments", query: [URLQueryItem(name: "min", value: "ten")], path: [:], body: nil)
        #expect(money?.body.detail == "min must be a decimal number written as a string, such as \"25.50\".")
        #expect(money?.body.field == "min")
        let nothing = spec.problem(operationID: "updateCustomer", query: [], path: ["code": "ACME"], body: Array(#"{"version": 1}"#.utf8))
        #expect(nothing?.status == 400)
        #expect(nothing?.body.detail == "The body must be an object with the version read and at least one field to change.")
        let something = spec.problem(
            operationID: "updateCustomer", query: [], path: ["code": "ACME"], body: Array(#"{"version": 1, "name": "Acme"}"#.utf8))
        #expect(something == nil)
    }

    @Test("a schema keyword the checks do not enforce stops the build, naming where it is")
    func refusesWhatItCannotCheck() async throws {
        let generator = URL(fileURLWithPath: postgateExecutable).deletingLastPathComponent().appendingPathComponent(
            "SpecificationTableGenerator"
        ).path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("openapi.yaml")
        try """
        openapi: 3.1.0
        paths: {}
        components:
          schemas:
            Choice:
              oneOf: [{ type: string }, { type: integer }]
        """.write(to: spec, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("SpecificationTable.swift").path
        let refused = try await Program.run([generator, spec.path, output])
        #expect(refused.status != 0)
        #expect(refused.error.contains("components.schemas.Choice: the keyword 'oneOf' is not enforced"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: output))
        // A constraint beside a reference would not be checked either.
        try """
        openapi: 3.1.0
        paths: {}
        components:
          schemas:
            Code: { type: string }
            Short: { $ref: "#/components/schemas/Code", maxLength: 3, description: words may stand here }
        """.write(to: spec, atomically: true, encoding: .utf8)
        let beside = try await Program.run([generator, spec.path, output])
        #expect(beside.status != 0 && beside.error.contains("components.schemas.Short: 'maxLength' beside $ref"), "\(beside.error)")
        try """
        openapi: 3.1.0
        paths: {}
        components:
          schemas:
            Ok: { type: string, pattern: "^[a-z]+$" }
        """.write(to: spec, atomically: true, encoding: .utf8)
        let made = try await Program.run([generator, spec.path, output])
        #expect(made.status == 0, "\(made.error)")
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains(#""Ok": .schema(SpecSchema(type: "string", pattern: "^[a-z]+$"))"#))
    }
}
