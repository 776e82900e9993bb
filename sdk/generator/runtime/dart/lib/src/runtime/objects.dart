// Hearth SDK runtime: save (create or update, with field operations), fetch, delete, batch.
import 'client.dart';
import 'codec.dart';
import 'errors.dart';

/// One change to one field of model `M`: a new value or an operation (increment, add, addUnique,
/// remove, unset, addRelation, removeRelation); made by the model's `Fields`.
class FieldOperation<M extends ParseObject> {
  final String field;
  final Object? value;

  const FieldOperation(this.field, this.value);
}

/// One request of a batch.
class BatchRequest {
  final String method;
  final String path;
  final Object? body;

  const BatchRequest(this.method, this.path, [this.body]);
}

/// One answer of a batch: its `success` value or its error.
class BatchResult {
  final Object? success;
  final ParseException? error;

  const BatchResult(this.success, this.error);
}

/// The fields of [object] a save sends: every field that is set and differs from what the server
/// last had (`savedFields`; all set fields for a new object), except the server-managed ones,
/// with [ops] on top. A field set to `null` is not sent: unset it with the field's `unset()`.
Map<String, Object?> saveBody<M extends ParseObject>(M object, List<FieldOperation<M>> ops) {
  final fields = object.toJson()
    ..remove('objectId')
    ..remove('createdAt')
    ..remove('updatedAt');
  fields.removeWhere((key, value) => _jsonEquals(object.savedFields[key], value));
  for (final op in ops) {
    fields[op.field] = op.value;
  }
  return fields;
}

/// Whether two JSON values are equal (numbers by value: `10` and `10.0` are equal).
bool _jsonEquals(Object? a, Object? b) {
  if (a is Map && b is Map) {
    return a.length == b.length && a.keys.every((k) => b.containsKey(k) && _jsonEquals(a[k], b[k]));
  }
  if (a is List && b is List) {
    if (a.length != b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (!_jsonEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

/// Updates [object] after a save: the server's [answer] (objectId, createdAt, updatedAt and the
/// results of the operations, such as an incremented number) on top of it, and the fields an
/// `unset` removed cleared; all of it is now what the server has (`savedFields`), so saving it
/// again sends nothing that would undo the operations. A pointer's included object is not kept
/// (the object is read back from its JSON, where a pointer is only a pointer).
void _merge<M extends ParseObject>(M object, List<FieldOperation<M>> ops, Map answer) {
  final fields = object is ParseAnyObject ? Map<String, Object?>.of(object.fields) : object.toJson();
  for (final op in ops) {
    final value = op.value;
    if (value is Map && value['__op'] == 'Delete') fields.remove(op.field);
  }
  answer.forEach((key, value) => fields[key as String] = value);
  fields['updatedAt'] ??= fields['createdAt'];
  object.readJson(fields);
}

extension ParseObjects on ParseClient {
  String _classPath(String className, [String? objectId]) => objectId == null ? 'classes/$className' : 'classes/$className/$objectId';

  /// Creates the object (no `objectId` yet) or updates it: sends the fields set and changed since
  /// the object was read or saved (see `ParseObject.savedFields`), and [ops] on top. Updates the
  /// object with the server's answer (`objectId`, `createdAt`, `updatedAt`, the operations'
  /// results: an incremented number, an unset field gone) and returns it.
  Future<M> save<M extends ParseObject>(M object, [List<FieldOperation<M>>? ops]) async {
    final list = ops ?? <FieldOperation<M>>[];
    final body = saveBody(object, list);
    final id = object.objectId;
    final answer = id != null
        ? await requestJson('PUT', _classPath(object.parseClassName, id), body: body) as Map
        : await requestJson('POST', _classPath(object.parseClassName), body: body) as Map;
    _merge(object, list, answer);
    return object;
  }

  /// Applies [ops] to the object [objectId] without reading it first.
  Future<void> update<M extends ParseObject>(ModelType<M> type, String objectId, List<FieldOperation<M>> ops) async {
    await requestJson('PUT', _classPath(type.className, objectId), body: <String, Object?>{for (final op in ops) op.field: op.value});
  }

  Future<M> fetch<M extends ParseObject>(ModelType<M> type, String objectId) async {
    final answer = await requestJson('GET', _classPath(type.className, objectId)) as Map;
    return type.fromJson(Map<String, Object?>.from(answer));
  }

  Future<void> delete(ParseObject object) async {
    final id = object.objectId;
    if (id == null) return;
    await request('DELETE', _classPath(object.parseClassName, id));
  }

  /// A batch request saving [object] (create or update).
  BatchRequest batchSave<M extends ParseObject>(M object) {
    final base = serverUrl.path;
    final id = object.objectId;
    return BatchRequest(id == null ? 'POST' : 'PUT', '$base/${_classPath(object.parseClassName, id)}', saveBody(object, <FieldOperation<M>>[]));
  }

  /// A batch request deleting [object].
  BatchRequest batchDelete(ParseObject object) => BatchRequest('DELETE', '${serverUrl.path}/${_classPath(object.parseClassName, object.objectId ?? '')}');

  /// Sends the requests in one round trip; each answer is its `success` value or its error.
  Future<List<BatchResult>> batch(List<BatchRequest> requests, {bool transaction = false}) async {
    final body = <String, Object?>{
      'requests': requests.map((r) => <String, Object?>{'method': r.method, 'path': r.path, if (r.body != null) 'body': r.body}).toList(),
      if (transaction) 'transaction': true,
    };
    final answers = await requestJson('POST', 'batch', body: body) as List;
    return answers.map((a) {
      final answer = a as Map;
      final error = answer['error'];
      if (error is Map) {
        return BatchResult(null, ParseException((error['code'] as num? ?? ParseException.otherCause).toInt(), error['error'] as String? ?? ''));
      }
      return BatchResult(answer['success'], null);
    }).toList();
  }
}
