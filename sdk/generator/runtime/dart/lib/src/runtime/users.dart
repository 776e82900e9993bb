// Hearth SDK runtime: sign up, log in, log out, the current user, become; the session is
// persisted through the client's store.
import 'dart:convert';

import 'client.dart';
import 'codec.dart';
import 'errors.dart';
import 'objects.dart';

extension ParseUsers on ParseClient {
  Future<void> _remember(Map<String, Object?> user, String? token) async {
    await setSessionToken(token);
    await sessionStore.set(currentUserKey, jsonEncode(user));
  }

  /// Creates [user] with [username] and [password] plus the fields set on it, and logs it in.
  Future<U> signUp<U extends ParseObject>(U user, String username, String password) async {
    final fields = saveBody(user, <FieldOperation<U>>[]);
    fields['username'] = username;
    fields['password'] = password;
    final answer = await requestJson('POST', 'users', body: fields, session: '') as Map;
    fields.remove('password');
    user.objectId = answer['objectId'] as String?;
    user.createdAt = decodeDate(answer['createdAt']);
    fields['objectId'] = user.objectId;
    fields['createdAt'] = answer['createdAt'];
    await _remember(fields, answer['sessionToken'] as String?);
    return user;
  }

  Future<U> logIn<U extends ParseObject>(ModelType<U> type, String username, String password) async {
    final user = Map<String, Object?>.from(await requestJson('POST', 'login', body: <String, Object?>{'username': username, 'password': password}, session: '') as Map);
    await _remember(user, user['sessionToken'] as String?);
    return type.fromJson(user);
  }

  /// Logs in with a session token obtained elsewhere (for example from a cloud function).
  Future<U> become<U extends ParseObject>(ModelType<U> type, String sessionToken) async {
    final user = Map<String, Object?>.from(await requestJson('GET', 'users/me', session: sessionToken) as Map);
    await _remember(user, sessionToken);
    return type.fromJson(user);
  }

  /// Ends the session on the server and forgets the current user (even when the session was
  /// already invalid there).
  Future<void> logOut() async {
    final token = await sessionToken();
    try {
      if (token != null) await request('POST', 'logout', session: token, retryWrites: false);
    } on ParseException catch (error) {
      if (error.code != ParseException.invalidSessionToken) rethrow;
    } finally {
      await setSessionToken(null);
      await sessionStore.remove(currentUserKey);
    }
  }

  /// The logged-in user as last seen, from the session store; `null` when logged out.
  Future<U?> currentUser<U extends ParseObject>(ModelType<U> type) async {
    final text = await sessionStore.get(currentUserKey);
    if (text == null) return null;
    return type.fromJson(Map<String, Object?>.from(jsonDecode(text) as Map));
  }
}
