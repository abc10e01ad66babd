import Foundation
import PostgateBench
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite("COPY")
struct CopyTests {
    /// 100,000 rows made on demand in 64 KiB chunks: the whole file never exists at once.
    @Test("100,000 rows stream in and back out with every value intact")
    func copyBothWaysWith100kRows() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE line (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL)")
            let copiedIn = try await connection.copyIn(
                "COPY line (id, name, amount) FROM STDIN", chunks: CopyChunks(count: 100_000) { "\($0)\tcustomer \($0) ✓\t\($0).25\n" })
            #expect(copiedIn == 100_000)
            let totals = try await connection.query("SELECT count(*) AS n, sum(amount) AS total, min(name) AS first FROM line")[0]
            #expect(try totals.decode("n", as: Int.self) == 100_000)
            // sum(1..100000) + 0.25 * 100000
            #expect(try totals.decode("total", as: Decimal.self) == Decimal(string: "5000075000.00"))
            #expect(try totals.decode("first", as: String.self) == "customer 1 ✓")

            let lines = Mutex(0)
            let bytes = Mutex(0)
            let lastLine = Mutex("")
            let copiedOut = try await connection.copyOut("COPY (SELECT id, name, amount FROM line ORDER BY id) TO STDOUT") { chunk in
                lines.withLock { $0 += chunk.filter { $0 == UInt8(ascii: "\n") }.count }
                bytes.withLock { $0 += chunk.count }
                lastLine.withLock { $0 = String(decoding: chunk, as: UTF8.self) }
            }
            #expect(copiedOut == 100_000)
            #expect(lines.withLock { $0 } == 100_000)
            #expect(lastLine.withLock { $0 } == "100000\tcustomer 100000 ✓\t100000.25\n")
            #expect(bytes.withLock { $0 } > 2_000_000)
        }
    }

    @Test("a bad row rejects the whole COPY, names the line, and leaves the connection usable")
    func badRowRejectsEverything() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE line (id bigint PRIMARY KEY, amount numeric NOT NULL)")
            let chunks = [Array("1\t10.00\n2\tten\n3\t30.00\n".utf8)].async
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyIn("COPY line FROM STDIN", chunks: chunks)
            }
            #expect(error?.sqlState == "22P02")
            #expect(error?.context?.contains("line 2") == true)
            let count = try await connection.query("SELECT count(*) AS n FROM line")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test("files copy in and out without passing through memory whole")
    func copyFiles() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE note (id int, body text)")
            let folder = NSTemporaryDirectory() + "postgate-copy-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let input = folder + "/in.csv"
            try "id,body\n1,\"comma, inside\"\n2,\"line\nbreak\"\n".write(toFile: input, atomically: true, encoding: .utf8)
            #expect(try await connection.copyIn("COPY note FROM STDIN WITH (FORMAT csv, HEADER true)", fromFile: input) == 2)
            let output = folder + "/out.csv"
            #expect(
                try await connection.copyOut("COPY (SELECT * FROM note ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)", toFile: output) == 2)
            #expect(try String(contentsOfFile: output, encoding: .utf8) == "id,body\n1,\"comma, inside\"\n2,\"line\nbreak\"\n")
        }
    }

    @Test("COPY refuses bind parameters")
    func copyRefusesBinds() async throws {
        try await withTestConnection(migrated: false) { connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyOut("COPY (SELECT \(1)) TO STDOUT") { _ in }
            }
            #expect(error?.kind == .clientMisuse)
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence.
    var async: AsyncArray<Element> { AsyncArray(elements: self) }
}

struct AsyncArray<Element: Sendable>: AsyncSequence, Sendable {
    let elements: [Element]
    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<Element>
        mutating func next() async -> Element? { rest.popFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: elements[...]) }
}
