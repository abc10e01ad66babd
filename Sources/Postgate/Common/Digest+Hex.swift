import Crypto
import Foundation

extension Digest {
    /// The digest as lowercase hex digits (64 for SHA-256), as checksums are stored and compared.
    public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
