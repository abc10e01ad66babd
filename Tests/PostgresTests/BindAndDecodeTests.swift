import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Binds and decoding")
struct BindAndDecodeTests {
    @Test("every supported type round-trips through the server")
    func everyTypeRoundTrips() async throws {
        try await withTestConnection(migrated: false) { connection in
            let id = UUID()
            let day = LocalDate(year: 2024, month: 2, day: 29)!
            let instant = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let amount = Decimal(string: "12345.67")!
            let row = try await connection.query(
                """
                SELECT \("Zürich — 東京 ✓") AS text, \(Int(-42)) AS int, \(Int64.max) AS big, \(Int32.min) AS small,
                       \(true) AS yes, \(false) AS no, \(amount) AS amount, \(day) AS day, \(instant) AS instant,
                       \(id) AS id, \([Int64(3), -1, Int64.min]) AS ids, \([Int64]()) AS none,
                       \(PostgresJSON(["a": 1, "b": 2])) AS doc
                """)[0]
            #expect(try row.decode("text", as: String.self) == "Zürich — 東京 ✓")
            #expect(try row.decode("int", as: Int.self) == -42)
            #expect(try row.decode("big", as: Int64.self) == .max)
            #expect(try row.decode("small", as: Int32.self) == .min)
            #expect(try row.decode("yes", as: Bool.self) == true)
            #expect(try row.decode("no", as: Bool.self) == false)
            #expect(try row.decode("amount", as: Decimal.self) == amount)
            #expect(try row.decode("day", as: LocalDate.self) == day)
            #expect(try row.decode("instant", as: Date.self) == instant)
            #expect(try row.decode("id", as: UUID.self) == id)
            #expect(try row.decode("ids", as: [Int64].self) == [3, -1, .min])
            #expect(try row.decode("none", as: [Int64].self) == [])
            #expect(try row.decode("doc", as: PostgresJSON<[String: Int]>.self).value == ["a": 1, "b": 2])
        }
    }

    @Test("the server sees binds as typed values, not text spliced into SQL")
    func bindsAreTypedOnTheServer() async throws {
        try await withTestConnection(migrated: false) { connection in
            let hostile = "'; DROP DATABASE postgres; --"
            let row = try await connection.query(
                """
                SELECT \(hostile) AS text, pg_typeof(\(Decimal(1))) ::text AS numeric_type,
                       pg_typeof(\(LocalDate(year: 2024, month: 1, day: 1)!))::text AS date_type,
                       pg_typeof(\(Date()))::text AS timestamp_type, pg_typeof(\([Int64(1)]))::text AS array_type
                """)[0]
            #expect(try row.decode("text", as: String.self) == hostile)
            #expect(try row.decode("numeric_type", as: String.self) == "numeric")
            #expect(try row.decode("date_type", as: String.self) == "date")
            #expect(try row.decode("timestamp_type", as: String.self) == "timestamp with time zone")
            #expect(try row.decode("array_type", as: String.self) == "bigint[]")
        }
    }

    @Test("nil binds typed NULLs, and NULL decodes only into optionals", arguments: [true, false])
    func nullsRoundTrip(_ withValue: Bool) async throws {
        try await withTestConnection(migrated: false) { connection in
            let amount: Decimal? = withValue ? Decimal(string: "0.01") : nil
            let day: LocalDate? = withValue ? LocalDate("1999-12-31") : nil
            let name: String? = withValue ? "x" : nil
            let row = try await connection.query("SELECT \(amount) AS amount, \(day) AS day, \(name) AS name, pg_typeof(\(amount))::text AS type")[0]
            #expect(try row.decode("amount", as: Decimal?.self) == amount)
            #expect(try row.decode("day", as: LocalDate?.self) == day)
            #expect(try row.decode("name", as: String?.self) == name)
            #expect(try row.decode("type", as: String.self) == "numeric")
            #expect(row.isNull("amount") == !withValue)
            if !withValue {
                let error = #expect(throws: PostgresError.self) { try row.decode("amount", as: Decimal.self) }
                #expect(error?.kind == .decoding)
                #expect(error?.message.contains("'amount'") == true)
                #expect(error?.message.contains("NULL") == true)
            }
        }
    }

    @Test(
        "decimals keep every digit: extremes, negatives, scale",
        arguments: [
            "0", "-0.01", "0.0000000001", "-99999999999999999999.999999999999999999",
            "12345678901234567890123456789012345678", "-1e-20", "1000000.50",
        ])
    func decimalsAreExact(_ text: String) async throws {
        try await withTestConnection(migrated: false) { connection in
            let value = try #require(Decimal(string: text))
            let row = try await connection.query("SELECT \(value) AS v, \(value)::text AS t, (\(value) * 3) AS triple")[0]
            #expect(try row.decode("v", as: Decimal.self) == value)
            #expect(try row.decode("triple", as: Decimal.self) == value * 3)
        }
    }

    @Test("a numeric Decimal cannot hold exactly is refused, not rounded")
    func oversizedNumericIsRefused() async throws {
        try await withTestConnection(migrated: false) { connection in
            let row = try await connection.query("SELECT 123456789012345678901234567890123456789012.5::numeric AS huge, 'NaN'::numeric AS nan")[0]
            let huge = #expect(throws: PostgresError.self) { try row.decode("huge", as: Decimal.self) }
            #expect(huge?.message.contains("'huge'") == true)
            #expect(throws: PostgresError.self) { try row.decode("nan", as: Decimal.self) }
        }
    }

    @Test("decoding a column as the wrong type names the column and both types")
    func typeMismatchNamesTheColumn() async throws {
        try await withTestConnection(migrated: false) { connection in
            let row = try await connection.query("SELECT 'abc'::text AS code, 1::int AS n")[0]
            let error = #expect(throws: PostgresError.self) { try row.decode("code", as: Int.self) }
            #expect(error?.kind == .decoding)
            #expect(error?.message.contains("'code' (index 0) is text") == true)
            #expect(error?.message.contains("Int") == true)
            let missing = #expect(throws: PostgresError.self) { try row.decode("nope", as: Int.self) }
            #expect(missing?.message.contains("'nope'") == true)
            #expect(try row.decode(1, as: Int.self) == 1)
        }
    }

    @Test("timestamps keep microseconds and dates stay calendar days far from 1970")
    func timestampsAndDates() async throws {
        try await withTestConnection(migrated: false) { connection in
            let early = Date(timeIntervalSince1970: -2_208_988_800.000_001)  // 1899-12-31 23:59:59.999999 UTC
            let row = try await connection.query(
                """
                SELECT \(early) AS early, \(early)::text AS early_text, '0001-01-01'::date AS first_day,
                       '9999-12-31'::date AS last_day, '2024-06-30 10:00:00.5+02'::timestamptz AS zoned
                """)[0]
            #expect(try row.decode("early", as: Date.self) == early)
            #expect(try row.decode("early_text", as: String.self) == "1899-12-31 23:59:59.999999+00")
            #expect(try row.decode("first_day", as: LocalDate.self) == LocalDate(year: 1, month: 1, day: 1))
            #expect(try row.decode("last_day", as: LocalDate.self) == LocalDate(year: 9999, month: 12, day: 31))
            #expect(try row.decode("zoned", as: Date.self) == Date(timeIntervalSince1970: 1_719_734_400.5))
        }
    }
}

@Suite("Values without a server")
struct ValueTests {
    @Test("interpolated values become numbered parameters")
    func interpolationNumbersBinds() {
        let query: PostgresQuery = "SELECT * FROM t WHERE a = \(1) AND b = \("x") AND c = \(nil as Int?)"
        #expect(query.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3")
        #expect(query.binds.map(\.text) == ["1", "x", nil])
        var combined: PostgresQuery = "SELECT \(1), "
        combined.append("\(2), $10, \(3)")
        #expect(combined.sql == "SELECT $1, $2, $10, $3")
    }

    @Test("local dates reject impossible days and count days exactly")
    func localDates() {
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2024-1-01") == nil)
        #expect(LocalDate(daysSinceUnixEpoch: 0) == LocalDate("1970-01-01"))
        #expect(LocalDate("2000-03-01")!.daysSinceUnixEpoch - LocalDate("2000-02-28")!.daysSinceUnixEpoch == 2)
        #expect(LocalDate("2024-12-31")!.adding(days: 1) == LocalDate("2025-01-01"))
    }
}

@Suite("Connection settings")
struct ConnectionConfigTests {
    @Test("descriptions never show a password")
    func passwordsAreHidden() {
        #expect(ConnectionConfig(conninfo: "postgresql://app:s3cret@db:5432/postgate").description == "postgresql://app:***@db:5432/postgate")
        #expect(ConnectionConfig(conninfo: "host=db password='s3 cret' dbname=x").description == "host=db password=*** dbname=x")
        #expect(ConnectionConfig(parameters: [("host", "/tmp"), ("password", "pw")]).description == "host=/tmp password=***")
    }

    @Test("conninfo quotes values as libpq reads them")
    func conninfoQuoting() {
        #expect(
            ConnectionConfig(parameters: [("host", "/tmp/a b"), ("application_name", "it's")]).conninfo
                == #"host='/tmp/a b' application_name='it\'s'"#)
    }
}
