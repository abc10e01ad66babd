import CLibPQ

/// The rows of one statement's result. Owns libpq's `PGresult`, which is immutable once
/// received, so a result may be read from any thread.
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The number of rows.
    public let count: Int
    /// Column names in order.
    public let columns: [String]
    /// Column type OIDs in order.
    public let columnTypes: [PostgresType]
    private let columnIndex: [String: Int]
    /// The command tag's row count (for INSERT/UPDATE/DELETE/COPY), when the server sends one.
    public let affectedRows: Int?

    init(taking handle: OpaquePointer) {
        self.handle = handle
        count = Int(PQntuples(handle))
        let width = Int(PQnfields(handle))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        names.reserveCapacity(width)
        for column in 0..<width {
            let name = String(cString: PQfname(handle, Int32(column)))
            names.append(name)
            types.append(PostgresType(rawValue: PQftype(handle, Int32(column))))
            if index[name] == nil { index[name] = column }
        }
        columns = names
        columnTypes = types
        columnIndex = index
        let tuples = String(cString: PQcmdTuples(handle))
        affectedRows = Int(tuples)
    }

    deinit { PQclear(handle) }

    public var isEmpty: Bool { count == 0 }

    public subscript(row: Int) -> PostgresRow {
        precondition(row >= 0 && row < count, "row \(row) is out of range 0..<\(count)")
        return PostgresRow(result: self, row: row)
    }

    /// The first row, if any.
    public var first: PostgresRow? { count > 0 ? self[0] : nil }

    func index(of column: String) -> Int? { columnIndex[column] }

    func text(row: Int, column: Int) -> String? {
        if PQgetisnull(handle, Int32(row), Int32(column)) == 1 { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }
}

extension PostgresResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
}

/// One row of a result, read by column name or index.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let row: Int

    /// Decodes the named column. A missing column, a column of another type or an unexpected
    /// NULL is an error that names the column, its index, the Swift and the PostgreSQL types.
    public func decode<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws(PostgresError) -> Value {
        guard let index = result.index(of: column) else {
            throw PostgresError(
                kind: .decoding,
                message: "column '\(column)' is not in the result; its columns are \(result.columns.joined(separator: ", "))")
        }
        return try decode(index, as: type)
    }

    /// Decodes the column at `index` (0-based).
    public func decode<Value: PostgresDecodable>(_ index: Int, as type: Value.Type = Value.self) throws(PostgresError) -> Value {
        guard index >= 0 && index < result.columns.count else {
            throw PostgresError(kind: .decoding, message: "column index \(index) is out of range: the result has \(result.columns.count) columns")
        }
        let name = result.columns[index]
        let pgType = result.columnTypes[index]
        guard let text = result.text(row: row, column: index) else {
            guard let null = Value.decodedNull else {
                throw PostgresError(
                    kind: .decoding,
                    message: "column '\(name)' (index \(index)) is NULL in row \(row); decode it as \(Value.self)? to accept NULL",
                    column: name, dataType: pgType.description)
            }
            return null
        }
        guard Value.acceptedPostgresTypes.contains(pgType) else {
            throw PostgresError(
                kind: .decoding,
                message: "column '\(name)' (index \(index)) is \(pgType), which cannot be decoded as \(Value.self)",
                column: name, dataType: pgType.description)
        }
        guard let value = Value(postgresText: text, type: pgType) else {
            throw PostgresError(
                kind: .decoding,
                message: "column '\(name)' (index \(index)) holds \(pgType) '\(text.prefix(80))', which is not a valid \(Value.self)",
                column: name, dataType: pgType.description)
        }
        return value
    }

    /// True when the named column is SQL NULL.
    public func isNull(_ column: String) -> Bool {
        guard let index = result.index(of: column) else { return true }
        return result.text(row: row, column: index) == nil
    }

    /// The raw text of a column, or `nil` for NULL.
    public func text(_ index: Int) -> String? { result.text(row: row, column: index) }
}
