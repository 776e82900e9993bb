// Hearth SDK runtime: writes that may be sent again. Every write carries an `X-Parse-Request-Id`;
// Hearth keeps the first answer for five minutes and replays it for a retry with the same id,
// method, path, body and session (anything else differing is refused with code 159). So the body
// is serialised once and the very same bytes, id and headers are resent. Retried: network errors,
// 5xx answers and 429 (waiting as long as Retry-After says), with exponential backoff.
import Foundation

/// How failed requests are retried. Every write carries an `X-Parse-Request-Id`, and a retry resends
/// the same bytes, id and session: the server answers a repeated id with its first answer (for five
/// minutes), so a write the server already applied is not applied twice.
public struct RetryPolicy {
    public var maxAttempts: Int
    public var baseDelayMs: Double
    public var maxDelayMs: Double

    public init(maxAttempts: Int = 4, baseDelayMs: Double = 250, maxDelayMs: Double = 10000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
    }

    /// The wait before attempt `attempt + 1`: `Retry-After` (seconds) when the server sent one, else exponential backoff.
    public func delayMs(attempt: Int, retryAfter: String?) -> Double {
        if let text = retryAfter, let seconds = Double(text) {
            return min(seconds * 1000, maxDelayMs)
        }
        return min(baseDelayMs * pow(2, Double(attempt - 1)), maxDelayMs)
    }

    public static func isRetryable(status: Int) -> Bool {
        return status == 429 || status >= 500
    }
}
