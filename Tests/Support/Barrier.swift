/// Holds tasks until a given number of them have arrived, then lets them all go: for tests that
/// need every one of several transactions to be open at once, however slowly the machine starts
/// them.
public actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(parties: Int) { self.parties = parties }

    /// Waits until `parties` tasks (this one included) have called `arrive`.
    public func arrive() async {
        arrived += 1
        if arrived >= parties {
            let released = waiting
            waiting = []
            for continuation in released { continuation.resume() }
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
