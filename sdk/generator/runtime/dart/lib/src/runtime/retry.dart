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

  /// The wait before attempt `attempt + 1`: `Retry-After` (seconds or an HTTP date) when the
  /// server sent one, else exponential backoff.
  int delayMs(int attempt, String? retryAfter, [DateTime? now]) {
    if (retryAfter != null) {
      final text = retryAfter.trim();
      final seconds = double.tryParse(text);
      final ms = seconds != null ? (seconds * 1000).round() : _httpDate(text)?.difference(now ?? DateTime.now()).inMilliseconds;
      if (ms != null && ms >= 0) return min(ms, maxDelayMs);
    }
    return min(baseDelayMs * pow(2, attempt - 1).toInt(), maxDelayMs);
  }

  static bool isRetryable(int status) => status == 429 || status >= 500;
}

const List<String> _months = <String>['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/// An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`), as `Retry-After` may carry one; `null` otherwise.
/// (`HttpDate` of dart:io would do, but dart:io is not there on the web.)
DateTime? _httpDate(String text) {
  final m = RegExp(r'^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$').firstMatch(text);
  if (m == null) return null;
  final month = _months.indexOf(m.group(2)!) + 1;
  if (month == 0) return null;
  int at(int i) => int.parse(m.group(i)!);
  return DateTime.utc(at(3), month, at(1), at(4), at(5), at(6));
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
