// Hearth SDK runtime: errors carry Parse codes.
import 'dart:convert';

/// An error answered by the server (`{"code", "error"}`), or a failure to reach it.
class ParseException implements Exception {
  /// The code Parse SDKs use when the server could not be reached (no answer at all).
  static const int connectionFailed = 100;

  /// The code of an answer that was not Parse's error shape.
  static const int otherCause = -1;

  /// The session token is no longer valid.
  static const int invalidSessionToken = 209;

  final int code;
  final String message;

  /// True when no answer came back (network down, timeout): only these errors make
  /// `networkElseCache` fall back to the cache. A server answer with code 100 (rate limited) is not one.
  final bool isNetworkError;

  const ParseException(this.code, this.message, {this.isNetworkError = false});

  /// Reads an error answer; a body that is not `{"code", "error"}` becomes [otherCause] with the HTTP status.
  factory ParseException.fromResponse(int status, String body) {
    try {
      final json = jsonDecode(body);
      if (json is Map && json['code'] is num) {
        return ParseException((json['code'] as num).toInt(), json['error'] as String? ?? '');
      }
    } on FormatException {
      // Not JSON: fall through.
    }
    return ParseException(otherCause, 'HTTP $status');
  }

  @override
  String toString() => 'ParseException $code: $message';
}
