import Crypto
import Foundation

/// SHA-256 checksums of files and texts (migrations, imported files), as 64 lowercase hex digits.
public enum Checksum {
    public static func sha256(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The hex digits of a finished digest.
    public static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
