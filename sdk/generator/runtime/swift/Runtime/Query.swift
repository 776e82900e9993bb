// Hearth SDK runtime: typed field references and queries (`where`, order, limit, skip, include, keys, count, or/and), with the offline cache.
import Foundation

/// One condition on a model's field, or an `$or`/`$and` of groups of them.
public struct Constraint<M: ParseObject> {
    let field: String
    let op: String?
    let value: JSONValue

    /// Any of the groups matches (a group matches when all its constraints do).
    public static func or(_ groups: [Constraint<M>]...) -> Constraint<M> {
        return Constraint(field: "$or", op: nil, value: .array(groups.map { whereJSON($0) }))
    }

    /// Every group matches.
    public static func and(_ groups: [Constraint<M>]...) -> Constraint<M> {
        return Constraint(field: "$and", op: nil, value: .array(groups.map { whereJSON($0) }))
    }

    /// The `where` JSON of a list of constraints: equality as the bare value, operators merged per field.
    public static func whereJSON(_ constraints: [Constraint<M>]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for c in constraints {
            guard let op = c.op else {
                out[c.field] = c.value
                continue
            }
            var ops: [String: JSONValue] = [:]
            if case .object(let existing)? = out[c.field] { ops = existing }
            ops[op] = c.value
            out[c.field] = .object(ops)
        }
        return .object(out)
    }
}

/// A field of model `M`, named by its wire name; `Field` adds the operations its value type allows.
public class FieldRef<M: ParseObject> {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public func exists(_ yes: Bool = true) -> Constraint<M> {
        return Constraint(field: name, op: "$exists", value: .bool(yes))
    }

    public func doesNotExist() -> Constraint<M> {
        return exists(false)
    }

    /// The `unset` operation for `ParseClient.save(_:ops:)`.
    public func unset() -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("Delete")]))
    }
}

public class Field<M: ParseObject, V: Encodable>: FieldRef<M> {
    func encoded(_ value: V) -> JSONValue {
        return (try? JSONValue.from(value)) ?? .null
    }

    public func equalTo(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: nil, value: encoded(value))
    }

    public func notEqualTo(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: "$ne", value: encoded(value))
    }

    public func containedIn(_ values: [V]) -> Constraint<M> {
        return Constraint(field: name, op: "$in", value: .array(values.map(encoded)))
    }

    public func notContainedIn(_ values: [V]) -> Constraint<M> {
        return Constraint(field: name, op: "$nin", value: .array(values.map(encoded)))
    }

    /// The `set` operation for `ParseClient.save(_:ops:)`.
    public func set(_ value: V) -> FieldOperation<M> {
        return FieldOperation(field: name, value: encoded(value))
    }
}

/// Numbers, dates and strings: ordered comparisons.
public class ComparableField<M: ParseObject, V: Encodable>: Field<M, V> {
    public func lessThan(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: "$lt", value: encoded(value))
    }

    public func lessThanOrEqualTo(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: "$lte", value: encoded(value))
    }

    public func greaterThan(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: "$gt", value: encoded(value))
    }

    public func greaterThanOrEqualTo(_ value: V) -> Constraint<M> {
        return Constraint(field: name, op: "$gte", value: encoded(value))
    }
}

public final class StringField<M: ParseObject>: ComparableField<M, String> {
    /// A regular expression match; `options` as Parse takes them (`i`, `m`, `x`, `s`).
    public func matches(_ regex: String, options: String? = nil) -> [Constraint<M>] {
        var out = [Constraint<M>(field: name, op: "$regex", value: .string(regex))]
        if let o = options {
            out.append(Constraint(field: name, op: "$options", value: .string(o)))
        }
        return out
    }

    public func startsWith(_ prefix: String) -> Constraint<M> {
        return Constraint(field: name, op: "$regex", value: .string("^" + NSRegularExpression.escapedPattern(for: prefix)))
    }

    public func endsWith(_ suffix: String) -> Constraint<M> {
        return Constraint(field: name, op: "$regex", value: .string(NSRegularExpression.escapedPattern(for: suffix) + "$"))
    }

    public func contains(_ text: String) -> Constraint<M> {
        return Constraint(field: name, op: "$regex", value: .string(NSRegularExpression.escapedPattern(for: text)))
    }
}

public final class NumberField<M: ParseObject>: ComparableField<M, Double> {
    public func increment(_ amount: Double = 1) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("Increment"), "amount": .number(amount)]))
    }
}

public typealias DateField<M: ParseObject> = ComparableField<M, Date>
public typealias BooleanField<M: ParseObject> = Field<M, Bool>
public typealias ObjectField<M: ParseObject> = Field<M, [String: JSONValue]>
public typealias FileField<M: ParseObject> = Field<M, ParseFile>
public typealias BytesField<M: ParseObject> = Field<M, Data>
public typealias PolygonField<M: ParseObject> = Field<M, ParsePolygon>

public final class ArrayField<M: ParseObject>: Field<M, [JSONValue]> {
    /// The array holds `value` among its elements.
    public func contains(_ value: JSONValue) -> Constraint<M> {
        return Constraint(field: name, op: nil, value: value)
    }

    public func containsAll(_ values: [JSONValue]) -> Constraint<M> {
        return Constraint(field: name, op: "$all", value: .array(values))
    }

    /// Every element of the array is among `values`.
    public func containedBy(_ values: [JSONValue]) -> Constraint<M> {
        return Constraint(field: name, op: "$containedBy", value: .array(values))
    }

    public func add(_ values: [JSONValue]) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("Add"), "objects": .array(values)]))
    }

    public func addUnique(_ values: [JSONValue]) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("AddUnique"), "objects": .array(values)]))
    }

    public func remove(_ values: [JSONValue]) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("Remove"), "objects": .array(values)]))
    }
}

public final class PointerField<M: ParseObject, T: ParseObject>: Field<M, ParsePointer<T>> {
    public func equalTo(objectId: String) -> Constraint<M> {
        return equalTo(ParsePointer<T>(objectId))
    }

    /// The pointed-to object matches `query`.
    public func matchesQuery(_ query: Query<T>) -> Constraint<M> {
        return Constraint(field: name, op: "$inQuery", value: query.innerJSON())
    }

    public func doesNotMatchQuery(_ query: Query<T>) -> Constraint<M> {
        return Constraint(field: name, op: "$notInQuery", value: query.innerJSON())
    }
}

public final class RelationField<M: ParseObject, T: ParseObject>: Field<M, ParseRelation<T>> {
    /// The relation holds the object `objectId`.
    public func contains(objectId: String) -> Constraint<M> {
        return Constraint(field: name, op: nil, value: (try? JSONValue.from(ParsePointer<T>(objectId))) ?? .null)
    }

    public func add(objectIds: [String]) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("AddRelation"), "objects": .array(objectIds.map(pointer))]))
    }

    public func remove(objectIds: [String]) -> FieldOperation<M> {
        return FieldOperation(field: name, value: .object(["__op": .string("RemoveRelation"), "objects": .array(objectIds.map(pointer))]))
    }

    private func pointer(_ id: String) -> JSONValue {
        return (try? JSONValue.from(ParsePointer<T>(id))) ?? .null
    }
}

public final class GeoPointField<M: ParseObject>: Field<M, ParseGeoPoint> {
    /// Nearest first; `maxKilometers` bounds the distance.
    public func near(_ point: ParseGeoPoint, maxKilometers: Double? = nil) -> [Constraint<M>] {
        var out = [Constraint<M>(field: name, op: "$nearSphere", value: encoded(point))]
        if let km = maxKilometers {
            out.append(Constraint(field: name, op: "$maxDistanceInKilometers", value: .number(km)))
        }
        return out
    }

    /// Within `kilometers` of `point`, nearest first.
    public func withinKilometers(_ point: ParseGeoPoint, _ kilometers: Double) -> [Constraint<M>] {
        return near(point, maxKilometers: kilometers)
    }

    public func withinBox(southwest: ParseGeoPoint, northeast: ParseGeoPoint) -> Constraint<M> {
        return Constraint(field: name, op: "$within", value: .object(["$box": .array([encoded(southwest), encoded(northeast)])]))
    }

    public func withinPolygon(_ points: [ParseGeoPoint]) -> Constraint<M> {
        return Constraint(field: name, op: "$geoWithin", value: .object(["$polygon": .array(points.map(encoded))]))
    }
}

/// A query on model `M`'s class. Build it with the model's `Fields`, then `find`, `first`, `count` or `get`.
public final class Query<M: ParseObject> {
    let client: ParseClient
    var constraints: [Constraint<M>] = []
    var orderKeys: [String] = []
    var limitValue: Int?
    var skipValue: Int?
    var includeKeys: [String] = []
    var selectKeys: [String] = []

    public init(_ client: ParseClient) {
        self.client = client
    }

    @discardableResult
    public func `where`(_ constraints: Constraint<M>...) -> Query<M> {
        self.constraints.append(contentsOf: constraints)
        return self
    }

    @discardableResult
    public func `where`(_ constraints: [Constraint<M>]) -> Query<M> {
        self.constraints.append(contentsOf: constraints)
        return self
    }

    /// The objects in `parent`'s relation `field`: `client.query(ParseUser.self).relatedTo(ParsePointer<Player>(id), Player.Fields.fans)`.
    @discardableResult
    public func relatedTo<P: ParseObject>(_ parent: ParsePointer<P>, _ field: RelationField<P, M>) -> Query<M> {
        let object = (try? JSONValue.from(parent)) ?? .null
        constraints.append(Constraint(field: "$relatedTo", op: nil, value: .object(["object": object, "key": .string(field.name)])))
        return self
    }

    @discardableResult
    public func order(by field: FieldRef<M>, descending: Bool = false) -> Query<M> {
        orderKeys.append(descending ? "-" + field.name : field.name)
        return self
    }

    @discardableResult
    public func limit(_ n: Int) -> Query<M> {
        limitValue = n
        return self
    }

    @discardableResult
    public func skip(_ n: Int) -> Query<M> {
        skipValue = n
        return self
    }

    @discardableResult
    public func include<T>(_ field: PointerField<M, T>) -> Query<M> {
        includeKeys.append(field.name)
        return self
    }

    @discardableResult
    public func keys(_ fields: FieldRef<M>...) -> Query<M> {
        selectKeys.append(contentsOf: fields.map { $0.name })
        return self
    }

    public var whereJSON: JSONValue {
        return Constraint.whereJSON(constraints)
    }

    /// The query as `$inQuery` takes it.
    func innerJSON() -> JSONValue {
        return .object(["className": .string(M.className), "where": whereJSON])
    }

    func parameters(count: Bool) -> [String: String] {
        var p: [String: String] = [:]
        if let data = try? ParseCoding.encode(whereJSON), let text = String(data: data, encoding: .utf8) { p["where"] = text }
        if !orderKeys.isEmpty { p["order"] = orderKeys.joined(separator: ",") }
        if !includeKeys.isEmpty { p["include"] = includeKeys.joined(separator: ",") }
        if !selectKeys.isEmpty { p["keys"] = selectKeys.joined(separator: ",") }
        if count {
            p["count"] = "1"
            p["limit"] = "0"
        } else {
            if let l = limitValue { p["limit"] = String(l) }
            if let s = skipValue { p["skip"] = String(s) }
        }
        return p
    }

    /// `<appId>|<className>|<canonical query JSON>`: the same query always maps to the same entry.
    public var cacheKey: String {
        let params = JSONValue.object(parameters(count: false).mapValues { JSONValue.string($0) })
        let text = (try? ParseCoding.encode(params)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
        return client.applicationId + "|" + M.className + "|" + text
    }

    private struct Results: Decodable {
        let results: [JSONValue]?
        let count: Int?
    }

    private func fetchResults() async throws -> JSONValue {
        let answer = try await client.requestJSON("GET", "classes/" + M.className, query: parameters(count: false), as: Results.self)
        return .array(answer.results ?? [])
    }

    private func decode(_ results: JSONValue) throws -> [M] {
        return try results.decode([M].self)
    }

    /// The matching objects. `cache` picks how the offline cache is used (see `CachePolicy`);
    /// `ttlMs` is how long a cached answer stays fresh; `cached` receives the cached answer
    /// first under `.cacheThenNetwork`, with whether it has expired.
    public func find(cache: CachePolicy = .networkOnly, ttlMs: Double? = nil, cached: (([M], Bool) -> Void)? = nil) async throws -> [M] {
        let key = cacheKey
        switch cache {
        case .networkOnly:
            return try decode(try await fetchResults())
        case .cacheElseNetwork:
            if let fresh = client.cache.get(key) { return try decode(fresh) }
        case .networkElseCache:
            do {
                let results = try await fetchResults()
                client.cache.set(key, results, ttlMs: ttlMs)
                return try decode(results)
            } catch let error as ParseError where error.isNetworkError {
                guard let stale = client.cache.getCacheEntry(key) else { throw error }
                return try decode(stale.value)
            }
        case .cacheThenNetwork:
            if let entry = client.cache.getCacheEntry(key), let callback = cached {
                callback(try decode(entry.value), entry.expired)
            }
        }
        let results = try await fetchResults()
        client.cache.set(key, results, ttlMs: ttlMs)
        return try decode(results)
    }

    public func first() async throws -> M? {
        let saved = limitValue
        limitValue = 1
        defer { limitValue = saved }
        return try await find().first
    }

    /// The objects and how many match in all (ignoring limit and skip).
    public func findWithCount() async throws -> (results: [M], count: Int) {
        var p = parameters(count: false)
        p["count"] = "1"
        let answer = try await client.requestJSON("GET", "classes/" + M.className, query: p, as: Results.self)
        return (try decode(.array(answer.results ?? [])), answer.count ?? 0)
    }

    public func count() async throws -> Int {
        return try await client.requestJSON("GET", "classes/" + M.className, query: parameters(count: true), as: Results.self).count ?? 0
    }

    /// The object `objectId`, with this query's `include` and `keys`.
    public func get(_ objectId: String) async throws -> M {
        var p: [String: String] = [:]
        if !includeKeys.isEmpty { p["include"] = includeKeys.joined(separator: ",") }
        if !selectKeys.isEmpty { p["keys"] = selectKeys.joined(separator: ",") }
        return try await client.requestJSON("GET", "classes/" + M.className + "/" + objectId, query: p, as: M.self)
    }
}

extension ParseClient {
    /// A query on `type`'s class: `client.query(Player.self).where(Player.Fields.score.greaterThan(10))`.
    public func query<M: ParseObject>(_ type: M.Type) -> Query<M> {
        return Query<M>(self)
    }
}
