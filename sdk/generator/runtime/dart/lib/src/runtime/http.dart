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
class PackageHttpClient implements ParseHttpClient {
  final http.Client _client;

  PackageHttpClient([http.Client? client]) : _client = client ?? http.Client();

  @override
  Future<ParseHttpResponse> send(ParseHttpRequest request) async {
    final r = http.Request(request.method, request.url)..headers.addAll(request.headers);
    final body = request.body;
    if (body != null) r.bodyBytes = body;
    final streamed = await _client.send(r);
    final bytes = await streamed.stream.toBytes();
    return ParseHttpResponse(streamed.statusCode, streamed.headers, bytes);
  }
}
