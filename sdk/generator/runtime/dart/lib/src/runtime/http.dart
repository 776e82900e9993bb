// Hearth SDK runtime: the HTTP transport, shaped like package:http's `Client.send`; injectable
// (tests, other stacks), package:http by default (works on every Flutter platform, web included).
import 'dart:convert';

import 'package:http/http.dart' as http;

class ParseHttpRequest {
  final String method;
  final Uri url;
  final Map<String, String> headers;
  final List<int>? body;

  const ParseHttpRequest(this.method, this.url, this.headers, this.body);
}

class ParseHttpResponse {
  final int status;

  /// Header names in lower case.
  final Map<String, String> headers;
  final List<int> body;

  const ParseHttpResponse(this.status, this.headers, this.body);

  String get text => utf8.decode(body);
}

/// Sends one request. Throw (anything) only when no answer came back: HTTP error statuses are answers.
abstract class ParseHttpClient {
  Future<ParseHttpResponse> send(ParseHttpRequest request);
}

/// The default transport, on package:http (pass your own `http.Client` to share or mock it).
/// An answer that has not fully arrived within [timeout] (30 s by default, as in the TypeScript
/// SDK) throws a `TimeoutException`: a network failure, so writes are retried and a
/// `networkElseCache` query answers from the cache instead of waiting on a hung connection.
class PackageHttpClient implements ParseHttpClient {
  final http.Client _client;
  final Duration timeout;

  PackageHttpClient([http.Client? client, this.timeout = const Duration(seconds: 30)]) : _client = client ?? http.Client();

  @override
  Future<ParseHttpResponse> send(ParseHttpRequest request) => _send(request).timeout(timeout);

  Future<ParseHttpResponse> _send(ParseHttpRequest request) async {
    final r = http.Request(request.method, request.url)..headers.addAll(request.headers);
    final body = request.body;
    if (body != null) r.bodyBytes = body;
    final streamed = await _client.send(r);
    final bytes = await streamed.stream.toBytes();
    return ParseHttpResponse(streamed.statusCode, streamed.headers, bytes);
  }
}
