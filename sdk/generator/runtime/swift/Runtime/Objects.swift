// Hearth SDK runtime: save (create or update, with field operations), fetch, delete, batch.
import Foundation

/// One change to one field of model `M`: a new value or an operation (increment, add, addUnique,
/// remove, unset, addRelation, removeRelation); made by the model's `Fields`.
public struct FieldOperation<M: ParseObject> {
    let field: String
    let value: JSONValue
}

/// One request of a batch.
public struct BatchRequest {
    public let method: String
    public let path: String
    public let body: JSONValue?
}

private let builtinKeys: Set<String> = ["objectId", "createdAt", "updatedAt"]

/// The fields of `object` a save sends: every field that is set, except the server-managed ones.
func saveBody<M: ParseObject>(_ object: M, ops: [FieldOperation<M>]) throws -> JSONValue {
    guard case .object(var fields) = try JSONValue.from(object) else { return .object([:]) }
    for key in builtinKeys {
        fields.removeValue(forKey: key)
    }
    for op in ops {
        fields[op.field] = op.value
    }
    return .object(fields)
}

private struct Saved: Decodable {
    let objectId: String?
    let createdAt: Date?
    let updatedAt: Date?
}

extension ParseClient {
    func classPath<M: ParseObject>(_ type: M.Type, _ objectId: String? = nil) -> String {
        return "classes/" + M.className + (objectId.map { "/" + $0 } ?? "")
    }

    /// Creates the object (no `objectId` yet) or updates it; `ops` are applied on top of its set fields.
    /// Returns the object with `objectId`, `createdAt` and `updatedAt` from the server.
    public func save<M: ParseObject>(_ object: M, ops: [FieldOperation<M>] = []) async throws -> M {
        let body = try saveBody(object, ops: ops)
        var out = object
        if let id = object.objectId {
            let saved = try await requestJSON("PUT", classPath(M.self, id), body: body, as: Saved.self)
            out.updatedAt = saved.updatedAt
        } else {
            let saved = try await requestJSON("POST", classPath(M.self), body: body, as: Saved.self)
            out.objectId = saved.objectId
            out.createdAt = saved.createdAt
            out.updatedAt = saved.createdAt
        }
        return out
    }

    /// Applies `ops` to the object `objectId` without reading it first.
    public func update<M: ParseObject>(_ type: M.Type, objectId: String, ops: [FieldOperation<M>]) async throws {
        var fields: [String: JSONValue] = [:]
        for op in ops {
            fields[op.field] = op.value
        }
        _ = try await requestJSON("PUT", classPath(M.self, objectId), body: .object(fields), as: Saved.self)
    }

    public func fetch<M: ParseObject>(_ type: M.Type, objectId: String) async throws -> M {
        return try await requestJSON("GET", classPath(M.self, objectId), as: M.self)
    }

    public func delete<M: ParseObject>(_ object: M) async throws {
        guard let id = object.objectId else { return }
        _ = try await request("DELETE", classPath(M.self, id))
    }

    /// A batch request saving `object` (create or update).
    public func batchSave<M: ParseObject>(_ object: M) throws -> BatchRequest {
        let base = serverURL.path
        if let id = object.objectId {
            return BatchRequest(method: "PUT", path: base + "/" + classPath(M.self, id), body: try saveBody(object, ops: []))
        }
        return BatchRequest(method: "POST", path: base + "/" + classPath(M.self), body: try saveBody(object, ops: []))
    }

    /// A batch request deleting `object`.
    public func batchDelete<M: ParseObject>(_ object: M) -> BatchRequest {
        return BatchRequest(method: "DELETE", path: serverURL.path + "/" + classPath(M.self, object.objectId ?? ""), body: nil)
    }

    /// Sends the requests in one round trip; each answer is its `success` value or its error.
    public func batch(_ requests: [BatchRequest], transaction: Bool = false) async throws -> [Result<JSONValue, ParseError>] {
        let list: [JSONValue] = requests.map { (r: BatchRequest) -> JSONValue in
            var o: [String: JSONValue] = ["method": .string(r.method), "path": .string(r.path)]
            if let b = r.body { o["body"] = b }
            return .object(o)
        }
        var body: [String: JSONValue] = ["requests": .array(list)]
        if transaction { body["transaction"] = .bool(true) }
        let answers = try await requestJSON("POST", "batch", body: .object(body), as: [JSONValue].self)
        return answers.map { (answer: JSONValue) -> Result<JSONValue, ParseError> in
            if let error = answer["error"] {
                if case .number(let code)? = error["code"] {
                    return .failure(ParseError(code: Int(code), message: error["error"]?.stringValue ?? ""))
                }
                return .failure(ParseError(code: ParseError.otherCause, message: "batch error"))
            }
            return .success(answer["success"] ?? .null)
        }
    }
}
