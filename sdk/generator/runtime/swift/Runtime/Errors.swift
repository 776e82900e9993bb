// Hearth SDK runtime: errors carry Parse codes.
import Foundation

/// An error answered by the server (`{"code", "error"}`), or a failure to reach it.
public struct ParseError: Error, Equatable, CustomStringConvertible {
    /// The code Parse SDKs use when the server could not be reached (no answer at all).
    public static let connectionFailed = 100
    /// The code of an answer that was not Parse's error shape.
    public static let otherCause = -1
    /// The session token is no longer valid.
    public static let invalidSessionToken = 209

    public let code: Int
    public let message: String
    /// True when no answer came back (network down, timeout): only these errors make
    /// `networkElseCache` fall back to the cache. A server answer with code 100 (rate limited) is not one.
    public let isNetworkError: Bool

    public init(code: Int, message: String, isNetworkError: Bool = false) {
        self.code = code
        self.message = message
        self.isNetworkError = isNetworkError
    }

    public var description: String {
        return "ParseError \(code): \(message)"
    }

    /// Reads an error answer; a body that is not `{"code", "error"}` becomes `otherCause` with the HTTP status.
    public static func from(status: Int, body: Data) -> ParseError {
        if case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: body),
           case .number(let code)? = o["code"] {
            return ParseError(code: Int(code), message: o["error"]?.stringValue ?? "")
        }
        return ParseError(code: otherCause, message: "HTTP \(status)")
    }
}
