// Hearth SDK runtime: the client (keys, session, transport) and every request, with retries of writes (retry.dart).
import 'dart:convert';
import 'dart:math';

import 'cache.dart';
import 'errors.dart';
import 'http.dart';
import 'retry.dart';
import 'session.dart';

class ParseClient {
  final String applicationId;
  final Uri serverUrl;
  final String? clientKey;
  ParseHttpClient http;
  RetryPolicy retry;
  final KeyValueStore sessionStore;
  final ParseCache cache;
  String? installationId;
  String? _sessionToken;
  bool _sessionLoaded = false;

  ParseClient({
    required this.applicationId,
    required this.serverUrl,
    this.clientKey,
    ParseHttpClient? http,
    KeyValueStore? sessionStore,
    ParseCache? cache,
    this.retry = const RetryPolicy(),
  })  : http = http ?? PackageHttpClient(),
        sessionStore = sessionStore ?? MemoryStore(),
        cache = cache ?? ParseCache();

  String get _sessionKey => 'hearth:$applicationId:sessionToken';

  /// Where the current user is kept in [sessionStore].
  String get currentUserKey => 'hearth:$applicationId:currentUser';

  /// The session token of the logged-in user, persisted through [sessionStore].
  Future<String?> sessionToken() async {
    if (!_sessionLoaded) {
      _sessionToken = await sessionStore.get(_sessionKey);
      _sessionLoaded = true;
    }
    return _sessionToken;
  }

  Future<void> setSessionToken(String? token) async {
    _sessionToken = token;
    _sessionLoaded = true;
    if (token == null) {
      await sessionStore.remove(_sessionKey);
    } else {
      await sessionStore.set(_sessionKey, token);
    }
  }

  /// Sends one request to [path] (under the server URL) and returns the answer's body; Parse
  /// errors are thrown as [ParseException]. [body] is serialised once, before the first attempt.
  /// Writes (POST, PUT, DELETE) carry a request id and are retried unless [retryWrites] is false;
  /// reads are sent once. [session]: the token to send instead of the current user's; `''` for none.
  Future<String> request(String method, String path, {Map<String, String>? query, List<int>? body, String contentType = 'application/json', String? session, bool retryWrites = true}) async {
    final base = serverUrl.toString().endsWith('/') ? serverUrl.toString() : '${serverUrl.toString()}/';
    var url = Uri.parse(base + path);
    if (query != null && query.isNotEmpty) url = url.replace(queryParameters: query);
    final headers = <String, String>{'X-Parse-Application-Id': applicationId};
    final key = clientKey;
    if (key != null) headers['X-Parse-Client-Key'] = key;
    final token = session ?? await sessionToken();
    if (token != null && token.isNotEmpty) headers['X-Parse-Session-Token'] = token;
    final installation = installationId;
    if (installation != null) headers['X-Parse-Installation-Id'] = installation;
    if (body != null) headers['Content-Type'] = contentType;
    final retries = retryWrites && const <String>['POST', 'PUT', 'DELETE'].contains(method);
    if (retries) headers['X-Parse-Request-Id'] = newRequestId();
    final attempts = retries ? max(1, retry.maxAttempts) : 1;
    final req = ParseHttpRequest(method, url, headers, body);
    var attempt = 0;
    while (true) {
      attempt += 1;
      ParseHttpResponse response;
      try {
        response = await http.send(req);
      } catch (error) {
        if (attempt >= attempts) {
          throw ParseException(ParseException.connectionFailed, 'the server could not be reached: $error', isNetworkError: true);
        }
        await Future<void>.delayed(Duration(milliseconds: retry.delayMs(attempt, null)));
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response.text;
      if (RetryPolicy.isRetryable(response.status) && attempt < attempts) {
        await Future<void>.delayed(Duration(milliseconds: retry.delayMs(attempt, response.headers['retry-after'])));
        continue;
      }
      throw ParseException.fromResponse(response.status, response.text);
    }
  }

  /// [request] with a JSON body and a decoded answer.
  Future<Object?> requestJson(String method, String path, {Map<String, String>? query, Object? body, String? session}) async {
    final bytes = body == null ? null : utf8.encode(jsonEncode(body));
    return jsonDecode(await request(method, path, query: query, body: bytes, session: session));
  }
}
