import BerthModel
import Crypto

/// A content digest, `sha256:<64 lowercase hex>`.
///
/// Parsed, never merely checked: a digest ends up in a path
/// (`blobs/sha256/<hex>`, `layers/<hex>`), so a value read from an archive
/// (`sha256:../../etc`) must not be able to become one. Only sha256 is
/// accepted; it is what every registry and `docker save` writes.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The 64 lowercase hex characters.
    public let hex: String

    /// The digest `text` names, or an error naming `what` it was read from.
    public init(parsing text: String, what: String = "digest") throws(BerthError) {
        guard text.hasPrefix("sha256:") else {
            let algorithm = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
            throw BerthError(
                .unsupported, "\(what) \"\(text)\" is not a sha256 digest",
                cause: text.contains(":") ? "algorithm \(algorithm) is not supported" : "no algorithm prefix")
        }
        let hex = String(text.dropFirst("sha256:".count))
        guard let digest = Digest(hex: hex) else {
            throw BerthError(
                .invalidReference, "\(what) \"\(text)\" is not a digest: want sha256: and 64 lowercase hex characters")
        }
        self = digest
    }

    /// The digest whose hex part is `hex`, or nil when it is not 64 lowercase hex characters.
    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.hex = hex
    }

    /// The sha256 of `bytes`.
    public init(of bytes: some Sequence<UInt8>) {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        self.init(hasher.finalize())
    }

    /// The digest a finished hasher gives.
    public init(_ value: SHA256.Digest) {
        var text = ""
        text.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for byte in value {
            text.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
            text.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0f)]))
        }
        self.hex = text
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }

    /// The first 12 hex characters, as `docker images` shows an ID.
    public var short: String { String(hex.prefix(12)) }

    /// Orders by hex, so lists are stable.
    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    /// Decodes from a JSON string, parsed as `init(parsing:)` parses.
    public init(from decoder: any Decoder) throws {
        self = try TextCoding.decode(decoder) { text throws(BerthError) in try Digest(parsing: text) }
    }

    /// Encodes as `sha256:<hex>`, a JSON string.
    public func encode(to encoder: any Encoder) throws {
        try TextCoding.encode(description, to: encoder)
    }
}

/// Values that travel as one JSON string and are read back through their
/// parser (a digest, a reference), so a bad one fails the decoding.
enum TextCoding {
    /// The string `decoder` holds, parsed by `parse`; a refusal is a `DecodingError`.
    static func decode<T>(_ decoder: any Decoder, _ parse: (String) throws(BerthError) -> T) throws -> T {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            return try parse(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Writes `text` as one JSON string.
    static func encode(_ text: String, to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
