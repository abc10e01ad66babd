/// COPY data made on demand: `line(n)` for n in 1...count, gathered into chunks of about
/// 64 KiB, so that any number of rows streams with a fixed amount of memory.
public struct CopyChunks: AsyncSequence, Sendable {
    public let count: Int
    public let line: @Sendable (Int) -> String

    public init(count: Int, line: @escaping @Sendable (Int) -> String) {
        self.count = count
        self.line = line
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int
        let line: @Sendable (Int) -> String
        var next = 1

        public mutating func next() async -> [UInt8]? {
            guard next <= count else { return nil }
            var chunk: [UInt8] = []
            chunk.reserveCapacity(64 * 1024 + 256)
            while next <= count && chunk.count < 64 * 1024 {
                chunk += line(next).utf8
                next += 1
            }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count, line: line) }
}
