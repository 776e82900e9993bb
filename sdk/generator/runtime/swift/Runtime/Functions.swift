// Hearth SDK runtime: cloud functions; the generated `Functions` adds one typed method per declared function.
import Foundation

private struct FunctionAnswer<R: Decodable>: Decodable {
    let result: R?
}

extension ParseClient {
    /// Runs the cloud function `name`, untyped.
    public func run(_ name: String, params: JSONValue = .object([:])) async throws -> JSONValue {
        return try await requestJSON("POST", "functions/" + name, body: params, as: FunctionAnswer<JSONValue>.self).result ?? .null
    }

    /// Runs the cloud function `name` with typed parameters and result.
    public func run<P: Encodable, R: Decodable>(_ name: String, params: P, as type: R.Type) async throws -> R {
        let answer = try ParseCoding.decode(FunctionAnswer<R>.self, from: try await request("POST", "functions/" + name, body: try ParseCoding.encode(params)))
        guard let result = answer.result else { return try JSONValue.null.decode(R.self) }
        return result
    }
}
