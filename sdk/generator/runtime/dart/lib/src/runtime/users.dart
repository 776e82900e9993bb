// Hearth SDK runtime: sign up, log in, log out, the current user, become; the session is
// persisted through the client's store.
import 'dart:convert';

import 'client.dart';
import 'codec.dart';
import 'objects.dart';

const String _currentUserKey = 'currentUser';

extension ParseUsers on ParseClient {
  Future<void> _remember(Map<String, Object?> user, String? token) async {
    await setSessionToken(token);
    await sessionStore.set(_currentUserKey, jsonEncode(user));
  }

  /// Creates [user] with [username] and [password] plus the fields set on it, and logs it in.
  Future<U> signUp<U extends ParseObject>(U user, String username, String password) async {
    final fields = saveBody(user, <FieldOperation<U>>[]);
    fields['username'] = username;
    fields['password'] = password;
    final answer = await requestJson('POST', 'users', body: fields) as Map;
    fields.remove('password');
    user.objectId = answer['objectId'] as String?;
    user.createdAt = decodeDate(answer['createdAt']);
    fields['objectId'] = user.objectId;
    fields['createdAt'] = answer['createdAt'];
    await _remember(fields, answer['sessionToken'] as String?);
    return user;
  }

  Future<U> logIn<U extends ParseObject>(ModelType<U> type, String username, String password) async {
    final user = Map<String, Object?>.from(await requestJson('POST', 'login', body: <String, Object?>{'username': username, 'password': password}) as Map);
    await _remember(user, user['sessionToken'] as String?);
    return type.fromJson(user);
  }

  /// Logs in with a session token obtained elsewhere (for example from a cloud function).
  Future<U> become<U extends ParseObject>(ModelType<U> type, String sessionToken) async {
    await setSessionToken(sessionToken);
    final user = Map<String, Object?>.from(await requestJson('GET', 'users/me') as Map);
    await _remember(user, sessionToken);
    return type.fromJson(user);
  }

  /// Ends the session on the server (when reachable) and forgets it here.
  Future<void> logOut() async {
    try {
      if (await sessionToken() != null) await request('POST', 'logout');
    } finally {
      await setSessionToken(null);
      await sessionStore.remove(_currentUserKey);
    }
  }

  /// The logged-in user as last seen, from the session store; `null` when logged out.
  Future<U?> currentUser<U extends ParseObject>(ModelType<U> type) async {
    final text = await sessionStore.get(_currentUserKey);
    if (text == null) return null;
    return type.fromJson(Map<String, Object?>.from(jsonDecode(text) as Map));
  }
}
