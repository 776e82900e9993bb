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

/// The fields of [object] a save sends: every field that is set, except the server-managed ones.
Map<String, Object?> saveBody<M extends ParseObject>(M object, List<FieldOperation<M>> ops) {
  final fields = object.toJson()
    ..remove('objectId')
    ..remove('createdAt')
    ..remove('updatedAt');
  for (final op in ops) {
    fields[op.field] = op.value;
  }
  return fields;
}

extension ParseObjects on ParseClient {
  String _classPath(String className, [String? objectId]) => objectId == null ? 'classes/$className' : 'classes/$className/$objectId';

  /// Creates the object (no `objectId` yet) or updates it; [ops] are applied on top of its set
  /// fields. Sets `objectId`, `createdAt` and `updatedAt` from the server and returns the object.
  Future<M> save<M extends ParseObject>(M object, [List<FieldOperation<M>>? ops]) async {
    final body = saveBody(object, ops ?? <FieldOperation<M>>[]);
    final id = object.objectId;
    if (id != null) {
      final saved = await requestJson('PUT', _classPath(object.parseClassName, id), body: body) as Map;
      object.updatedAt = decodeDate(saved['updatedAt']);
    } else {
      final saved = await requestJson('POST', _classPath(object.parseClassName), body: body) as Map;
      object.objectId = saved['objectId'] as String?;
      object.createdAt = decodeDate(saved['createdAt']);
      object.updatedAt = object.createdAt;
    }
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
