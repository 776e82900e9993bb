// Hearth SDK runtime: Parse's typed values (Date, Bytes, Pointer, Relation, File, GeoPoint,
// Polygon, ACL) to and from JSON, and the object class models extend.
import 'dart:convert';
import 'dart:typed_data';

/// A value with a JSON form (typed function parameters and results, Parse values).
abstract class JsonEncodable {
  Object? toJson();
}

/// Everything a model needs to be read from JSON: its class name and a constructor.
class ModelType<M extends ParseObject> {
  final String className;
  final M Function() create;

  const ModelType(this.className, this.create);

  M fromJson(Map<String, Object?> json) => create()..readJson(json);
}

/// A Parse object: one generated class per Parse class extends it. The four fields every class
/// has live here; the generated class reads and writes its own fields.
abstract class ParseObject implements JsonEncodable {
  String? objectId;
  DateTime? createdAt;
  DateTime? updatedAt;
  ParseACL? acl;

  /// The class name on the wire (`_User` for `ParseUser`).
  String get parseClassName;

  void readFields(Map<String, Object?> json);

  Map<String, Object?> writeFields();

  void readJson(Map<String, Object?> json) {
    objectId = json['objectId'] as String?;
    createdAt = decodeDate(json['createdAt']);
    updatedAt = decodeDate(json['updatedAt']);
    acl = json['ACL'] == null ? null : ParseACL.fromJson(json['ACL']);
    readFields(json);
  }

  @override
  Map<String, Object?> toJson() => <String, Object?>{
        if (objectId != null) 'objectId': objectId,
        if (createdAt != null) 'createdAt': encodeDate(createdAt!),
        if (updatedAt != null) 'updatedAt': encodeDate(updatedAt!),
        if (acl != null) 'ACL': acl!.toJson(),
        ...writeFields(),
      };
}

/// An object of a class the SDK has no model for (a pointer to a deleted class): fields untyped.
class ParseAnyObject extends ParseObject {
  static const ModelType<ParseAnyObject> type$ = ModelType<ParseAnyObject>('', ParseAnyObject.new);

  String className = '';
  Map<String, Object?> fields = <String, Object?>{};

  @override
  String get parseClassName => className;

  @override
  void readFields(Map<String, Object?> json) {
    className = json['className'] as String? ?? '';
    fields = Map<String, Object?>.of(json);
  }

  @override
  Map<String, Object?> writeFields() => <String, Object?>{};
}

/// `{"__type": "Date", "iso"}`; plain ISO strings (as `createdAt` arrives) are read too.
Map<String, Object?> encodeDate(DateTime date) => <String, Object?>{'__type': 'Date', 'iso': date.toUtc().toIso8601String()};

DateTime? decodeDate(Object? json) {
  if (json is String) return DateTime.parse(json);
  if (json is Map) return DateTime.parse(json['iso'] as String);
  return null;
}

Uint8List? decodeBytes(Object? json) => json is Map ? base64.decode(json['base64'] as String) : null;

/// Encodes any value the SDK sends: dates, bytes, Parse values, lists and maps of them.
Object? encodeValue(Object? value) {
  if (value is DateTime) return encodeDate(value);
  if (value is Uint8List) return <String, Object?>{'__type': 'Bytes', 'base64': base64.encode(value)};
  if (value is JsonEncodable) return value.toJson();
  if (value is List) return value.map(encodeValue).toList();
  if (value is Map) return value.map((k, v) => MapEntry(k as String, encodeValue(v)));
  return value;
}

String? asString(Object? json) => json as String?;

double? asDouble(Object? json) => (json as num?)?.toDouble();

bool? asBool(Object? json) => json as bool?;

Map<String, Object?>? asMap(Object? json) => json == null ? null : Map<String, Object?>.from(json as Map);

List<Object?>? asList(Object? json) => json == null ? null : List<Object?>.from(json as List);

ParsePointer<T>? asPointer<T extends ParseObject>(Object? json, ModelType<T> type) => json == null ? null : ParsePointer<T>.fromJson(json as Map, type);

ParseRelation<T>? asRelation<T extends ParseObject>(Object? json, ModelType<T> type) => json == null ? null : ParseRelation<T>(json is Map ? json['className'] as String : type.className);

ParseFile? asFile(Object? json) => json == null ? null : ParseFile.fromJson(json as Map);

ParseGeoPoint? asGeoPoint(Object? json) => json == null ? null : ParseGeoPoint.fromJson(json as Map);

ParsePolygon? asPolygon(Object? json) => json == null ? null : ParsePolygon.fromJson(json as Map);

ParseACL? asAcl(Object? json) => json == null ? null : ParseACL.fromJson(json);

/// `{"__type": "Pointer", "className", "objectId"}`; when the query asked to `include` it, the
/// server sends the whole object (`"__type": "Object"`), kept in [object].
class ParsePointer<T extends ParseObject> implements JsonEncodable {
  final String className;
  final String objectId;
  final T? object;

  const ParsePointer(this.className, this.objectId, [this.object]);

  factory ParsePointer.fromJson(Map json, ModelType<T> type) {
    final object = json['__type'] == 'Object' ? type.fromJson(Map<String, Object?>.from(json)) : null;
    return ParsePointer<T>(json['className'] as String, json['objectId'] as String, object);
  }

  @override
  Map<String, Object?> toJson() => <String, Object?>{'__type': 'Pointer', 'className': className, 'objectId': objectId};
}

/// `{"__type": "Relation", "className"}`; read its members with `Query.relatedTo`, change them
/// with the `add`/`remove` operations of its field.
class ParseRelation<T extends ParseObject> implements JsonEncodable {
  final String className;

  const ParseRelation(this.className);

  @override
  Map<String, Object?> toJson() => <String, Object?>{'__type': 'Relation', 'className': className};
}

/// `{"__type": "File", "name", "url"}`, as `ParseClient.uploadFile` returns it.
class ParseFile implements JsonEncodable {
  final String name;
  final String? url;

  const ParseFile(this.name, [this.url]);

  factory ParseFile.fromJson(Map json) => ParseFile(json['name'] as String, json['url'] as String?);

  @override
  Map<String, Object?> toJson() => <String, Object?>{'__type': 'File', 'name': name, if (url != null) 'url': url};
}

/// `{"__type": "GeoPoint", "latitude", "longitude"}`.
class ParseGeoPoint implements JsonEncodable {
  final double latitude;
  final double longitude;

  const ParseGeoPoint(this.latitude, this.longitude);

  factory ParseGeoPoint.fromJson(Map json) => ParseGeoPoint((json['latitude'] as num).toDouble(), (json['longitude'] as num).toDouble());

  @override
  Map<String, Object?> toJson() => <String, Object?>{'__type': 'GeoPoint', 'latitude': latitude, 'longitude': longitude};
}

/// `{"__type": "Polygon", "coordinates": [[lat, lng], ...]}`.
class ParsePolygon implements JsonEncodable {
  final List<ParseGeoPoint> points;

  const ParsePolygon(this.points);

  factory ParsePolygon.fromJson(Map json) => ParsePolygon((json['coordinates'] as List).map((p) => ParseGeoPoint(((p as List)[0] as num).toDouble(), (p[1] as num).toDouble())).toList());

  @override
  Map<String, Object?> toJson() => <String, Object?>{
        '__type': 'Polygon',
        'coordinates': points.map((p) => <double>[p.latitude, p.longitude]).toList(),
      };
}

/// An access control list: `{"*": {"read": true}, "<userId>": {...}, "role:<name>": {...}}`.
class ParseACL implements JsonEncodable {
  final Map<String, Map<String, bool>> entries;

  ParseACL([Map<String, Map<String, bool>>? entries]) : entries = entries ?? <String, Map<String, bool>>{};

  factory ParseACL.fromJson(Object? json) {
    final out = ParseACL();
    (json as Map).forEach((key, value) {
      out.entries[key as String] = Map<String, bool>.from(value as Map);
    });
    return out;
  }

  void setPublic({required bool read, required bool write}) => entries['*'] = <String, bool>{'read': read, 'write': write};

  void setUser(String userId, {required bool read, required bool write}) => entries[userId] = <String, bool>{'read': read, 'write': write};

  void setRole(String role, {required bool read, required bool write}) => entries['role:$role'] = <String, bool>{'read': read, 'write': write};

  @override
  Map<String, Object?> toJson() => entries;
}

/// Serialises `value` with sorted keys, so the same value always gives the same text (cache keys).
String canonicalJson(Object? value) {
  Object? sort(Object? v) {
    if (v is Map) {
      final keys = v.keys.map((k) => k as String).toList()..sort();
      return <String, Object?>{for (final k in keys) k: sort(v[k])};
    }
    if (v is List) return v.map(sort).toList();
    return v;
  }

  return jsonEncode(sort(value));
}
