// Hearth SDK runtime: the client (keys, session, transport) and every request, with retries of writes (Retry.swift).
import Foundation

/// Which session token a request carries.
public enum SessionChoice {
    /// The logged-in user's, if any.
    case current
    /// None (sign-up and log-in must not run as the previous user).
    case none
    case token(String)
}

public final class ParseClient {
    public let applicationId: String
    public let serverURL: URL
    public let clientKey: String?
    public var http: HTTPClient
    public var retry: RetryPolicy
    public let sessionStore: KeyValueStore
    public let cache: ParseCache
    public var installationId: String?

    public init(applicationId: String, serverURL: URL, clientKey: String? = nil, http: HTTPClient = URLSessionHTTPClient(), sessionStore: KeyValueStore = MemoryStore(), cache: ParseCache = ParseCache(), retry: RetryPolicy = RetryPolicy()) {
        self.applicationId = applicationId
        self.serverURL = serverURL
        self.clientKey = clientKey
        self.http = http
        self.sessionStore = sessionStore
        self.cache = cache
        self.retry = retry
    }

    var sessionKey: String { return "hearth:" + applicationId + ":sessionToken" }
    var currentUserKey: String { return "hearth:" + applicationId + ":currentUser" }

    /// The session token of the logged-in user, persisted through `sessionStore`.
    public var sessionToken: String? {
        get { return sessionStore.get(sessionKey) }
        set {
            if let token = newValue { sessionStore.set(sessionKey, token) } else { sessionStore.remove(sessionKey) }
        }
    }

    /// Sends one request to `path` (under the server URL) and returns the answer's body; Parse
    /// errors are thrown as `ParseError`. `body` is serialised once, before the first attempt.
    /// Writes (POST, PUT, DELETE) carry a request id and are retried unless `retry` is false;
    /// reads are sent once.
    public func request(_ method: String, _ path: String, query: [String: String] = [:], body: Data? = nil, contentType: String = "application/json", session: SessionChoice = .current, retry retryWrites: Bool = true) async throws -> Data {
        var components = URLComponents(url: serverURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty {
            components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            // URLComponents leaves `+` as is, and servers read it as a space in a query string.
            components?.percentEncodedQuery = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        }
        guard let url = components?.url else { throw ParseError(code: ParseError.otherCause, message: "bad path \(path)") }
        var headers = ["X-Parse-Application-Id": applicationId]
        if let key = clientKey { headers["X-Parse-Client-Key"] = key }
        switch session {
        case .current:
            if let token = sessionToken { headers["X-Parse-Session-Token"] = token }
        case .none:
            break
        case .token(let token):
            headers["X-Parse-Session-Token"] = token
        }
        if let id = installationId { headers["X-Parse-Installation-Id"] = id }
        if body != nil { headers["Content-Type"] = contentType }
        let retries = retryWrites && ["POST", "PUT", "DELETE"].contains(method)
        if retries { headers["X-Parse-Request-Id"] = UUID().uuidString.lowercased() }
        let attempts = retries ? max(1, retry.maxAttempts) : 1
        let req = HTTPRequest(method: method, url: url, headers: headers, body: body)
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try await http.send(req)
            } catch {
                if attempt >= attempts {
                    throw ParseError(code: ParseError.connectionFailed, message: "the server could not be reached: \(error)", isNetworkError: true)
                }
                try await pause(retry.delayMs(attempt: attempt, retryAfter: nil))
                continue
            }
            if (200..<300).contains(response.status) { return response.body }
            if RetryPolicy.isRetryable(status: response.status) && attempt < attempts {
                try await pause(retry.delayMs(attempt: attempt, retryAfter: response.headers["retry-after"]))
                continue
            }
            throw ParseError.from(status: response.status, body: response.body)
        }
    }

    /// `request` with a JSON body and a decoded answer.
    public func requestJSON<T: Decodable>(_ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil, session: SessionChoice = .current, as type: T.Type) async throws -> T {
        let data = try body.map { try ParseCoding.encode($0) }
        return try ParseCoding.decode(T.self, from: try await request(method, path, query: query, body: data, session: session))
    }

    private func pause(_ ms: Double) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(ms, 0) * 1_000_000))
    }
}
