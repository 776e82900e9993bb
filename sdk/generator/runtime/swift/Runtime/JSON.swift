// Hearth SDK runtime: JSON values and the coders every request uses.
import Foundation

/// Any JSON value; used where a Parse value has no fixed shape (Object and Array fields, untyped functions, where clauses).
public enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The member `key` of an object, `nil` otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Encodes any `Encodable` (a model, a Parse value) to a JSON value, with Parse's encodings.
    public static func from<T: Encodable>(_ value: T) throws -> JSONValue {
        return try ParseCoding.decoder().decode(JSONValue.self, from: ParseCoding.encode(value))
    }

    /// Decodes this value into `T`, with Parse's encodings.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        return try ParseCoding.decoder().decode(T.self, from: ParseCoding.encode(self))
    }
}

/// Parse's encodings: dates as `{"__type": "Date", "iso"}` (plain ISO strings are read too, as
/// `createdAt` and `updatedAt` arrive), bytes as `{"__type": "Bytes", "base64"}`. Keys are sorted
/// so a value always serialises to the same bytes (cache keys, retries).
public enum ParseCoding {
    private enum TypeKeys: String, CodingKey {
        case type = "__type"
        case iso
        case base64
    }

    public static func isoString(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    public static func parseISO(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.container(keyedBy: TypeKeys.self)
            try c.encode("Date", forKey: .type)
            try c.encode(isoString(date), forKey: .iso)
        }
        e.dataEncodingStrategy = .custom { data, encoder in
            var c = encoder.container(keyedBy: TypeKeys.self)
            try c.encode("Bytes", forKey: .type)
            try c.encode(data.base64EncodedString(), forKey: .base64)
        }
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text: String
            if let single = try? decoder.singleValueContainer(), let s = try? single.decode(String.self) {
                text = s
            } else {
                text = try decoder.container(keyedBy: TypeKeys.self).decode(String.self, forKey: .iso)
            }
            guard let date = parseISO(text) else {
                throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        d.dataDecodingStrategy = .custom { decoder in
            let text = try decoder.container(keyedBy: TypeKeys.self).decode(String.self, forKey: .base64)
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not base64"))
            }
            return data
        }
        return d
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        return try encoder().encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        return try decoder().decode(T.self, from: data)
    }
}
