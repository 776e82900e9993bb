// Hearth SDK runtime: writes that may be sent again. Every write carries an `X-Parse-Request-Id`;
// Hearth keeps the first answer for five minutes and replays it for a retry with the same id,
// method, path, body and session (anything else differing is refused with code 159). So the body
// is serialised once and the very same bytes, id and headers are resent. Retried: network errors,
// 5xx answers and 429 (waiting as long as Retry-After says), with exponential backoff.
import 'dart:math';

/// How failed requests are retried. Every write carries an `X-Parse-Request-Id`, and a retry resends
/// the same bytes, id and session: the server answers a repeated id with its first answer (for five
/// minutes), so a write the server already applied is not applied twice.
class RetryPolicy {
  final int maxAttempts;
  final int baseDelayMs;
  final int maxDelayMs;

  const RetryPolicy({this.maxAttempts = 4, this.baseDelayMs = 250, this.maxDelayMs = 10000});

  /// The wait before attempt `attempt + 1`: `Retry-After` (seconds) when the server sent one, else exponential backoff.
  int delayMs(int attempt, String? retryAfter) {
    final seconds = retryAfter == null ? null : double.tryParse(retryAfter);
    if (seconds != null) return min((seconds * 1000).round(), maxDelayMs);
    return min(baseDelayMs * pow(2, attempt - 1).toInt(), maxDelayMs);
  }

  static bool isRetryable(int status) => status == 429 || status >= 500;
}

final Random _random = Random.secure();

/// A random version-4 UUID.
String newRequestId() {
  final b = List<int>.generate(16, (_) => _random.nextInt(256));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  final hex = b.map((x) => x.toRadixString(16).padLeft(2, '0')).join();
  return '${hex.substring(0, 8)}-${hex.substring(8, 12)}-${hex.substring(12, 16)}-${hex.substring(16, 20)}-${hex.substring(20)}';
}
