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

/// The fields of `object` a save sends: every field that is set and differs from what the server
/// last had (`savedFields`; all set fields for a new object), except the server-managed ones,
/// with `ops` on top. A field set to `nil` is not sent: unset it with the field's `unset()`.
func saveBody<M: ParseObject>(_ object: M, ops: [FieldOperation<M>]) throws -> JSONValue {
    guard case .object(var fields) = try JSONValue.from(object) else { return .object([:]) }
    for (key, value) in fields where builtinKeys.contains(key) || object.savedFields[key] == value {
        fields.removeValue(forKey: key)
    }
    for op in ops {
        fields[op.field] = op.value
    }
    return .object(fields)
}

/// `object` after a save: the server's answer (objectId, createdAt, updatedAt and the results of
/// the operations, such as an incremented number) on top of it, and the fields an `unset` removed
/// cleared; all of it is now what the server has (`savedFields`), so saving the result again sends
/// nothing that would undo the operations. Included pointed-to objects are not kept (the object is
/// rebuilt from its JSON, where a pointer is only a pointer).
func merged<M: ParseObject>(_ object: M, ops: [FieldOperation<M>], answer: JSONValue) throws -> M {
    guard case .object(var fields) = try JSONValue.from(object) else { return object }
    for op in ops where op.value["__op"]?.stringValue == "Delete" {
        fields.removeValue(forKey: op.field)
    }
    if case .object(let answered) = answer {
        for (key, value) in answered {
            fields[key] = value
        }
    }
    if fields["updatedAt"] == nil, let created = fields["createdAt"] {
        fields["updatedAt"] = created
    }
    return try serverObject(M.self, .object(fields))
}

extension ParseClient {
    func classPath<M: ParseObject>(_ type: M.Type, _ objectId: String? = nil) -> String {
        return "classes/" + M.className + (objectId.map { "/" + $0 } ?? "")
    }

    /// Creates the object (no `objectId` yet) or updates it: sends the fields set and changed since
    /// the object was read or saved (see `ParseObject.savedFields`), and `ops` on top.
    /// Returns the object merged with the server's answer: `objectId`, `createdAt`, `updatedAt` and
    /// the operations' results (an incremented number, an unset field gone). Save the returned
    /// object next time, not the one passed in: that one still has the values before the operations.
    public func save<M: ParseObject>(_ object: M, ops: [FieldOperation<M>] = []) async throws -> M {
        let body = try saveBody(object, ops: ops)
        let answer: JSONValue
        if let id = object.objectId {
            answer = try await requestJSON("PUT", classPath(M.self, id), body: body, as: JSONValue.self)
        } else {
            answer = try await requestJSON("POST", classPath(M.self), body: body, as: JSONValue.self)
        }
        return try merged(object, ops: ops, answer: answer)
    }

    /// Applies `ops` to the object `objectId` without reading it first.
    public func update<M: ParseObject>(_ type: M.Type, objectId: String, ops: [FieldOperation<M>]) async throws {
        var fields: [String: JSONValue] = [:]
        for op in ops {
            fields[op.field] = op.value
        }
        _ = try await requestJSON("PUT", classPath(M.self, objectId), body: .object(fields), as: JSONValue.self)
    }

    public func fetch<M: ParseObject>(_ type: M.Type, objectId: String) async throws -> M {
        return try serverObject(M.self, try await requestJSON("GET", classPath(M.self, objectId), as: JSONValue.self))
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
