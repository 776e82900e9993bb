// Hearth SDK runtime: Parse's typed values (Pointer, Relation, File, GeoPoint, Polygon, ACL) and the object protocol models conform to.
import Foundation

/// A Parse object: one generated struct per class conforms. The four fields every class has live here.
public protocol ParseObject: Codable {
    /// The class name on the wire (`_User` for `ParseUser`).
    static var className: String { get }
    var objectId: String? { get set }
    var createdAt: Date? { get set }
    var updatedAt: Date? { get set }
    var ACL: ParseACL? { get set }
    init()
}

/// An object of a class the SDK has no model for (a pointer to a deleted class): every field is
/// kept untyped in `fields`.
public struct ParseAnyObject: ParseObject {
    public static var className: String { return "" }
    public var objectId: String?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var ACL: ParseACL?
    public var fields: [String: JSONValue] = [:]

    public init() {}

    public init(from decoder: Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: JSONValue].self)
        objectId = fields["objectId"]?.stringValue
        createdAt = try fields["createdAt"]?.decode(Date.self)
        updatedAt = try fields["updatedAt"]?.decode(Date.self)
        ACL = try fields["ACL"]?.decode(ParseACL.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fields)
    }
}

private enum ParseTypeKeys: String, CodingKey {
    case type = "__type"
    case className
    case objectId
    case name
    case url
    case latitude
    case longitude
    case coordinates
}

/// `{"__type": "Pointer", "className", "objectId"}`; when the query asked to `include` it, the
/// server sends the whole object (`"__type": "Object"`), kept in `object`.
public struct ParsePointer<Target: ParseObject>: Codable {
    public var className: String
    public var objectId: String
    public var object: Target?

    public init(_ objectId: String, className: String = Target.className) {
        self.className = className
        self.objectId = objectId
        self.object = nil
    }

    public init?(_ object: Target) {
        guard let id = object.objectId else { return nil }
        self.init(id)
        self.object = object
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ParseTypeKeys.self)
        className = try c.decode(String.self, forKey: .className)
        objectId = try c.decode(String.self, forKey: .objectId)
        if try c.decodeIfPresent(String.self, forKey: .type) == "Object" {
            object = try Target(from: decoder)
        } else {
            object = nil
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ParseTypeKeys.self)
        try c.encode("Pointer", forKey: .type)
        try c.encode(className, forKey: .className)
        try c.encode(objectId, forKey: .objectId)
    }
}

/// `{"__type": "Relation", "className"}`; its members are read with `Query.relatedTo` and changed with the `addRelation`/`removeRelation` operations.
public struct ParseRelation<Target: ParseObject>: Codable {
    public var className: String

    public init(className: String = Target.className) {
        self.className = className
    }

    public init(from decoder: Decoder) throws {
        className = try decoder.container(keyedBy: ParseTypeKeys.self).decode(String.self, forKey: .className)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ParseTypeKeys.self)
        try c.encode("Relation", forKey: .type)
        try c.encode(className, forKey: .className)
    }
}

/// `{"__type": "File", "name", "url"}`, as `ParseClient.uploadFile` returns it.
public struct ParseFile: Codable, Equatable {
    public var name: String
    public var url: String?

    public init(name: String, url: String? = nil) {
        self.name = name
        self.url = url
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ParseTypeKeys.self)
        name = try c.decode(String.self, forKey: .name)
        url = try c.decodeIfPresent(String.self, forKey: .url)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ParseTypeKeys.self)
        try c.encode("File", forKey: .type)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(url, forKey: .url)
    }
}

/// `{"__type": "GeoPoint", "latitude", "longitude"}`.
public struct ParseGeoPoint: Codable, Equatable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ParseTypeKeys.self)
        latitude = try c.decode(Double.self, forKey: .latitude)
        longitude = try c.decode(Double.self, forKey: .longitude)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ParseTypeKeys.self)
        try c.encode("GeoPoint", forKey: .type)
        try c.encode(latitude, forKey: .latitude)
        try c.encode(longitude, forKey: .longitude)
    }
}

/// `{"__type": "Polygon", "coordinates": [[lat, lng], ...]}`.
public struct ParsePolygon: Codable, Equatable {
    public var coordinates: [[Double]]

    public init(_ points: [ParseGeoPoint]) {
        coordinates = points.map { [$0.latitude, $0.longitude] }
    }

    public init(from decoder: Decoder) throws {
        coordinates = try decoder.container(keyedBy: ParseTypeKeys.self).decode([[Double]].self, forKey: .coordinates)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ParseTypeKeys.self)
        try c.encode("Polygon", forKey: .type)
        try c.encode(coordinates, forKey: .coordinates)
    }
}

/// An access control list: `{"*": {"read": true}, "<userId>": {...}, "role:<name>": {...}}`.
public struct ParseACL: Codable, Equatable {
    public struct Access: Codable, Equatable {
        public var read: Bool?
        public var write: Bool?

        public init(read: Bool? = nil, write: Bool? = nil) {
            self.read = read
            self.write = write
        }
    }

    public var entries: [String: Access]

    public init(_ entries: [String: Access] = [:]) {
        self.entries = entries
    }

    public mutating func setPublic(read: Bool, write: Bool) {
        entries["*"] = Access(read: read, write: write)
    }

    public mutating func set(userId: String, read: Bool, write: Bool) {
        entries[userId] = Access(read: read, write: write)
    }

    public mutating func set(role: String, read: Bool, write: Bool) {
        entries["role:" + role] = Access(read: read, write: write)
    }

    public init(from decoder: Decoder) throws {
        entries = try decoder.singleValueContainer().decode([String: Access].self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(entries)
    }
}
