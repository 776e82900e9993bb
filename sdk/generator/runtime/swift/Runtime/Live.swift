// Hearth SDK runtime: LiveQuery over a WebSocket on the server URL's path (ws/wss), reconnecting and resubscribing.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What happened to an object matching a subscription.
public enum LiveEvent<M: ParseObject> {
    case create(M)
    case enter(M, original: M?)
    case update(M, original: M?)
    case leave(M, original: M?)
    case delete(M)
}

public final class LiveSubscription {
    public let requestId: Int
    let query: JSONValue
    let deliver: (String, JSONValue) -> Void

    init(requestId: Int, query: JSONValue, deliver: @escaping (String, JSONValue) -> Void) {
        self.requestId = requestId
        self.query = query
        self.deliver = deliver
    }
}

public final class LiveQueryClient {
    private let client: ParseClient
    private let url: URL
    private let session: URLSession
    private let lock = NSLock()
    private var task: URLSessionWebSocketTask?
    private var subscriptions: [Int: LiveSubscription] = [:]
    private var nextRequestId = 1
    private var attempts = 0
    private var closed = false
    /// Errors the server reports (`{"op": "error"}`) and connection failures.
    public var onError: ((ParseError) -> Void)?

    /// `url` defaults to the server URL with `ws`/`wss` for `http`/`https`.
    public init(client: ParseClient, url: URL? = nil, session: URLSession = .shared) {
        self.client = client
        self.session = session
        if let u = url {
            self.url = u
        } else {
            var c = URLComponents(url: client.serverURL, resolvingAgainstBaseURL: false)
            c?.scheme = c?.scheme == "https" ? "wss" : "ws"
            self.url = c?.url ?? client.serverURL
        }
    }

    /// Subscribes to `query`; `handler` gets its events, typed to the model.
    public func subscribe<M: ParseObject>(_ query: Query<M>, handler: @escaping (LiveEvent<M>) -> Void) -> LiveSubscription {
        lock.lock()
        let id = nextRequestId
        nextRequestId += 1
        let sub = LiveSubscription(requestId: id, query: query.innerJSON()) { op, frame in
            guard let object = try? frame["object"]?.decode(M.self) else { return }
            let original = try? frame["original"]?.decode(M.self)
            switch op {
            case "create": handler(.create(object))
            case "enter": handler(.enter(object, original: original))
            case "update": handler(.update(object, original: original))
            case "leave": handler(.leave(object, original: original))
            case "delete": handler(.delete(object))
            default: break
            }
        }
        subscriptions[id] = sub
        let connected = task != nil
        lock.unlock()
        if connected { send(subscribeFrame(sub)) } else { connect() }
        return sub
    }

    public func unsubscribe(_ subscription: LiveSubscription) {
        lock.lock()
        subscriptions.removeValue(forKey: subscription.requestId)
        lock.unlock()
        send(.object(["op": .string("unsubscribe"), "requestId": .number(Double(subscription.requestId))]))
    }

    public func close() {
        lock.lock()
        closed = true
        let t = task
        task = nil
        lock.unlock()
        t?.cancel(with: .normalClosure, reason: nil)
    }

    private func connect() {
        lock.lock()
        if closed || task != nil {
            lock.unlock()
            return
        }
        let t = session.webSocketTask(with: url)
        task = t
        lock.unlock()
        t.resume()
        var op: [String: JSONValue] = ["op": .string("connect"), "applicationId": .string(client.applicationId)]
        if let key = client.clientKey { op["clientKey"] = .string(key) }
        if let token = client.sessionToken { op["sessionToken"] = .string(token) }
        if let id = client.installationId { op["installationId"] = .string(id) }
        send(.object(op))
        receive(t)
    }

    private func subscribeFrame(_ sub: LiveSubscription) -> JSONValue {
        var op: [String: JSONValue] = ["op": .string("subscribe"), "requestId": .number(Double(sub.requestId)), "query": sub.query]
        if let token = client.sessionToken { op["sessionToken"] = .string(token) }
        return .object(op)
    }

    private func send(_ frame: JSONValue) {
        lock.lock()
        let t = task
        lock.unlock()
        guard let t = t, let data = try? ParseCoding.encode(frame), let text = String(data: data, encoding: .utf8) else { return }
        t.send(.string(text)) { _ in }
    }

    private func receive(_ t: URLSessionWebSocketTask) {
        t.receive { [weak self] result in
            guard let self = self else { return }
            switch result {
            case .failure(let error):
                self.reconnect(after: error)
            case .success(let message):
                var data: Data?
                switch message {
                case .string(let text): data = text.data(using: .utf8)
                case .data(let d): data = d
                @unknown default: data = nil
                }
                if let d = data, let frame = try? JSONDecoder().decode(JSONValue.self, from: d) {
                    self.handle(frame)
                }
                self.receive(t)
            }
        }
    }

    private func handle(_ frame: JSONValue) {
        guard let op = frame["op"]?.stringValue else { return }
        switch op {
        case "connected":
            lock.lock()
            attempts = 0
            let subs = Array(subscriptions.values)
            lock.unlock()
            for sub in subs.sorted(by: { $0.requestId < $1.requestId }) {
                send(subscribeFrame(sub))
            }
        case "error":
            var code = ParseError.otherCause
            if case .number(let n)? = frame["code"] { code = Int(n) }
            onError?(ParseError(code: code, message: frame["error"]?.stringValue ?? ""))
        default:
            guard case .number(let n)? = frame["requestId"] else { return }
            lock.lock()
            let sub = subscriptions[Int(n)]
            lock.unlock()
            sub?.deliver(op, frame)
        }
    }

    /// Reconnects with exponential backoff (at most 30 s) and resubscribes every live subscription.
    private func reconnect(after error: Error) {
        lock.lock()
        task = nil
        attempts += 1
        let delay = min(0.5 * pow(2, Double(attempts - 1)), 30)
        let stop = closed
        lock.unlock()
        if stop { return }
        onError?(ParseError(code: ParseError.connectionFailed, message: "LiveQuery connection lost: \(error)", isNetworkError: true))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            self?.connect()
        }
    }
}
