// Hearth SDK runtime: sign up, log in, log out, the current user, become; the session is persisted through the client's store.
import Foundation

private struct SessionAnswer: Decodable {
    let objectId: String?
    let sessionToken: String?
    let createdAt: Date?
}

extension ParseClient {
    func remember(user: JSONValue, token: String?) {
        sessionToken = token
        if let data = try? ParseCoding.encode(user), let text = String(data: data, encoding: .utf8) {
            sessionStore.set(currentUserKey, text)
        }
    }

    /// Creates the user with `username` and `password` plus the fields set on `user`, and logs it in.
    public func signUp<U: ParseObject>(_ user: U, username: String, password: String) async throws -> U {
        guard case .object(var fields) = try saveBody(user, ops: []) else { throw ParseError(code: ParseError.otherCause, message: "a user encodes as an object") }
        fields["username"] = .string(username)
        fields["password"] = .string(password)
        let answer = try await requestJSON("POST", "users", body: .object(fields), session: .none, as: SessionAnswer.self)
        fields.removeValue(forKey: "password")
        fields["objectId"] = answer.objectId.map { .string($0) }
        fields["createdAt"] = answer.createdAt.map { .string(ParseCoding.isoString($0)) }
        remember(user: .object(fields), token: answer.sessionToken)
        return try JSONValue.object(fields).decode(U.self)
    }

    public func logIn<U: ParseObject>(_ type: U.Type, username: String, password: String) async throws -> U {
        let body = JSONValue.object(["username": .string(username), "password": .string(password)])
        let user = try await requestJSON("POST", "login", body: body, session: .none, as: JSONValue.self)
        remember(user: user, token: user["sessionToken"]?.stringValue)
        return try user.decode(U.self)
    }

    /// Logs in with a session token obtained elsewhere (for example from a cloud function).
    public func become<U: ParseObject>(_ type: U.Type, sessionToken token: String) async throws -> U {
        let user = try await requestJSON("GET", "users/me", session: .token(token), as: JSONValue.self)
        remember(user: user, token: token)
        return try user.decode(U.self)
    }

    /// Ends the session on the server and forgets the current user (even when the session was
    /// already invalid there).
    public func logOut() async throws {
        defer {
            sessionToken = nil
            sessionStore.remove(currentUserKey)
        }
        guard let token = sessionToken else { return }
        do {
            _ = try await request("POST", "logout", session: .token(token), retry: false)
        } catch let error as ParseError where error.code == ParseError.invalidSessionToken {
            return
        }
    }

    /// The logged-in user as last seen, from the session store; `nil` when logged out.
    public func currentUser<U: ParseObject>(_ type: U.Type) -> U? {
        guard let text = sessionStore.get(currentUserKey), let data = text.data(using: .utf8) else { return nil }
        return try? ParseCoding.decode(U.self, from: data)
    }
}
