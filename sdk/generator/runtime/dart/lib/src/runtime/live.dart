// Hearth SDK runtime: LiveQuery over a WebSocket on the server URL's path (ws/wss), reconnecting
// and resubscribing. The socket is behind [LiveSocketFactory]; the default uses
// package:web_socket_channel (every Flutter platform, web included).
import 'dart:async';
import 'dart:convert';
import 'dart:math';

import 'package:web_socket_channel/web_socket_channel.dart';

import 'client.dart';
import 'codec.dart';
import 'errors.dart';
import 'query.dart';

/// An open socket: text frames in, text frames out.
abstract class LiveSocket {
  Stream<Object?> get messages;

  void send(String text);

  Future<void> close();
}

typedef LiveSocketFactory = Future<LiveSocket> Function(Uri url);

class _ChannelSocket implements LiveSocket {
  final WebSocketChannel channel;

  _ChannelSocket(this.channel);

  @override
  Stream<Object?> get messages => channel.stream;

  @override
  void send(String text) => channel.sink.add(text);

  @override
  Future<void> close() async => channel.sink.close();
}

/// The default [LiveSocketFactory].
Future<LiveSocket> channelSocket(Uri url) async {
  final channel = WebSocketChannel.connect(url);
  await channel.ready;
  return _ChannelSocket(channel);
}

enum LiveEventKind { create, enter, update, leave, delete }

/// What happened to an object matching a subscription; [original] is the object before an
/// update, enter or leave.
class LiveEvent<M extends ParseObject> {
  final LiveEventKind kind;
  final M object;
  final M? original;

  const LiveEvent(this.kind, this.object, this.original);
}

class LiveSubscription {
  final int requestId;
  final Map<String, Object?> query;
  final void Function(String op, Map frame) deliver;

  LiveSubscription(this.requestId, this.query, this.deliver);
}

class LiveQueryClient {
  final ParseClient client;
  final Uri url;
  final LiveSocketFactory connectSocket;
  final Map<int, LiveSubscription> _subscriptions = <int, LiveSubscription>{};
  LiveSocket? _socket;
  bool _connecting = false;
  bool _closed = false;
  int _nextRequestId = 1;
  int _attempts = 0;

  /// Errors the server reports (`{"op": "error"}`) and connection failures.
  void Function(ParseException error)? onError;

  /// [url] defaults to the server URL with `ws`/`wss` for `http`/`https`.
  LiveQueryClient(this.client, {Uri? url, LiveSocketFactory? connectSocket})
      : url = url ?? client.serverUrl.replace(scheme: client.serverUrl.scheme == 'https' ? 'wss' : 'ws'),
        connectSocket = connectSocket ?? channelSocket;

  /// Subscribes to [query]; [handler] gets its events, typed to the model.
  LiveSubscription subscribe<M extends ParseObject>(Query<M> query, void Function(LiveEvent<M> event) handler) {
    final id = _nextRequestId++;
    final sub = LiveSubscription(id, query.innerJson(), (op, frame) {
      final kind = LiveEventKind.values.where((k) => k.name == op).firstOrNull;
      final object = frame['object'];
      if (kind == null || object is! Map) return;
      final original = frame['original'];
      handler(LiveEvent<M>(
        kind,
        query.type.fromJson(Map<String, Object?>.from(object)),
        original is Map ? query.type.fromJson(Map<String, Object?>.from(original)) : null,
      ));
    });
    _subscriptions[id] = sub;
    if (_socket != null) {
      _subscribeFrame(sub).then(_send);
    } else {
      _connect();
    }
    return sub;
  }

  void unsubscribe(LiveSubscription subscription) {
    _subscriptions.remove(subscription.requestId);
    _send(<String, Object?>{'op': 'unsubscribe', 'requestId': subscription.requestId});
  }

  Future<void> close() async {
    _closed = true;
    final socket = _socket;
    _socket = null;
    await socket?.close();
  }

  Future<void> _connect() async {
    if (_closed || _socket != null || _connecting) return;
    _connecting = true;
    try {
      final socket = await connectSocket(url);
      _socket = socket;
      socket.messages.listen(_receive, onError: (Object error) => _reconnect(error), onDone: () => _reconnect('closed'));
      final token = await client.sessionToken();
      _send(<String, Object?>{
        'op': 'connect',
        'applicationId': client.applicationId,
        if (client.clientKey != null) 'clientKey': client.clientKey,
        if (token != null) 'sessionToken': token,
        if (client.installationId != null) 'installationId': client.installationId,
      });
    } catch (error) {
      _connecting = false;
      _reconnect(error);
      return;
    }
    _connecting = false;
  }

  Future<Map<String, Object?>> _subscribeFrame(LiveSubscription sub) async {
    final token = await client.sessionToken();
    return <String, Object?>{'op': 'subscribe', 'requestId': sub.requestId, 'query': sub.query, if (token != null) 'sessionToken': token};
  }

  void _send(Map<String, Object?> frame) => _socket?.send(jsonEncode(frame));

  void _receive(Object? message) {
    final Object? frame;
    try {
      frame = jsonDecode(message is String ? message : utf8.decode(message as List<int>));
    } on FormatException {
      return;
    }
    if (frame is! Map) return;
    final op = frame['op'];
    if (op == 'connected') {
      _attempts = 0;
      final subs = _subscriptions.values.toList()..sort((a, b) => a.requestId.compareTo(b.requestId));
      for (final sub in subs) {
        _subscribeFrame(sub).then(_send);
      }
    } else if (op == 'error') {
      onError?.call(ParseException((frame['code'] as num? ?? ParseException.otherCause).toInt(), frame['error'] as String? ?? ''));
    } else if (op is String) {
      final id = frame['requestId'];
      if (id is num) _subscriptions[id.toInt()]?.deliver(op, frame);
    }
  }

  /// Reconnects with exponential backoff (at most 30 s) and resubscribes every live subscription.
  void _reconnect(Object error) {
    _socket = null;
    if (_closed) return;
    _attempts += 1;
    onError?.call(ParseException(ParseException.connectionFailed, 'LiveQuery connection lost: $error', isNetworkError: true));
    final delay = min(500 * pow(2, _attempts - 1).toInt(), 30000);
    Timer(Duration(milliseconds: delay), _connect);
  }
}
