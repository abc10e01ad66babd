/// A stock location, as `api.list_locations` returns it.
public struct Location: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var active: Bool
    public var version: Int

    public init(code: String, name: String, active: Bool, version: Int) {
        self.code = code
        self.name = name
        self.active = active
        self.version = version
    }
}
