// Hearth SDK runtime: typed field references and queries (`where`, order, limit, skip, include,
// keys, count, or/and), with the offline cache.
import 'dart:typed_data';

import 'cache.dart';
import 'client.dart';
import 'codec.dart';
import 'errors.dart';
import 'objects.dart';

/// One condition on a model's field, or an `$or`/`$and` of groups of them.
class Constraint<M extends ParseObject> {
  final String field;
  final String? op;
  final Object? value;

  const Constraint(this.field, this.op, this.value);

  /// Any of the groups matches (a group matches when all its constraints do).
  static Constraint<M> or<M extends ParseObject>(List<List<Constraint<M>>> groups) => Constraint<M>(r'$or', null, groups.map((g) => whereJson<M>(g)).toList());

  /// Every group matches.
  static Constraint<M> and<M extends ParseObject>(List<List<Constraint<M>>> groups) => Constraint<M>(r'$and', null, groups.map((g) => whereJson<M>(g)).toList());

  /// The `where` JSON of a list of constraints: equality as the bare value, operators merged per field.
  static Map<String, Object?> whereJson<M extends ParseObject>(List<Constraint<M>> constraints) {
    final out = <String, Object?>{};
    for (final c in constraints) {
      final op = c.op;
      if (op == null) {
        out[c.field] = c.value;
        continue;
      }
      final existing = out[c.field];
      final ops = existing is Map<String, Object?> ? existing : <String, Object?>{};
      ops[op] = c.value;
      out[c.field] = ops;
    }
    return out;
  }
}

/// A field of model `M`, named by its wire name; `Field` adds the operations its value type allows.
class FieldRef<M extends ParseObject> {
  final String name;

  const FieldRef(this.name);

  Constraint<M> exists([bool yes = true]) => Constraint<M>(name, r'$exists', yes);

  Constraint<M> doesNotExist() => exists(false);

  /// The `unset` operation for `ParseClient.save`.
  FieldOperation<M> unset() => FieldOperation<M>(name, <String, Object?>{'__op': 'Delete'});
}

class Field<M extends ParseObject, V> extends FieldRef<M> {
  const Field(String name) : super(name);

  Constraint<M> equalTo(V value) => Constraint<M>(name, null, encodeValue(value));

  Constraint<M> notEqualTo(V value) => Constraint<M>(name, r'$ne', encodeValue(value));

  Constraint<M> containedIn(List<V> values) => Constraint<M>(name, r'$in', values.map(encodeValue).toList());

  Constraint<M> notContainedIn(List<V> values) => Constraint<M>(name, r'$nin', values.map(encodeValue).toList());

  /// The `set` operation for `ParseClient.save`.
  FieldOperation<M> set(V value) => FieldOperation<M>(name, encodeValue(value));
}

/// Numbers, dates and strings: ordered comparisons.
class ComparableField<M extends ParseObject, V> extends Field<M, V> {
  const ComparableField(String name) : super(name);

  Constraint<M> lessThan(V value) => Constraint<M>(name, r'$lt', encodeValue(value));

  Constraint<M> lessThanOrEqualTo(V value) => Constraint<M>(name, r'$lte', encodeValue(value));

  Constraint<M> greaterThan(V value) => Constraint<M>(name, r'$gt', encodeValue(value));

  Constraint<M> greaterThanOrEqualTo(V value) => Constraint<M>(name, r'$gte', encodeValue(value));
}

class StringField<M extends ParseObject> extends ComparableField<M, String> {
  const StringField(String name) : super(name);

  /// A regular expression match; [options] as Parse takes them (`i`, `m`, `x`, `s`).
  List<Constraint<M>> matches(String regex, [String? options]) => <Constraint<M>>[
        Constraint<M>(name, r'$regex', regex),
        if (options != null) Constraint<M>(name, r'$options', options),
      ];

  Constraint<M> startsWith(String prefix) => Constraint<M>(name, r'$regex', '^${RegExp.escape(prefix)}');

  Constraint<M> endsWith(String suffix) => Constraint<M>(name, r'$regex', '${RegExp.escape(suffix)}\$');

  Constraint<M> contains(String text) => Constraint<M>(name, r'$regex', RegExp.escape(text));
}

class NumberField<M extends ParseObject> extends ComparableField<M, num> {
  const NumberField(String name) : super(name);

  FieldOperation<M> increment([num amount = 1]) => FieldOperation<M>(name, <String, Object?>{'__op': 'Increment', 'amount': amount});
}

typedef DateField<M extends ParseObject> = ComparableField<M, DateTime>;
typedef BooleanField<M extends ParseObject> = Field<M, bool>;
typedef ObjectField<M extends ParseObject> = Field<M, Map<String, Object?>>;
typedef FileField<M extends ParseObject> = Field<M, ParseFile>;
typedef BytesField<M extends ParseObject> = Field<M, Uint8List>;
typedef PolygonField<M extends ParseObject> = Field<M, ParsePolygon>;
typedef AclField<M extends ParseObject> = Field<M, ParseACL>;

class ArrayField<M extends ParseObject> extends Field<M, List<Object?>> {
  const ArrayField(String name) : super(name);

  /// The array holds [value] among its elements.
  Constraint<M> contains(Object? value) => Constraint<M>(name, null, encodeValue(value));

  Constraint<M> containsAll(List<Object?> values) => Constraint<M>(name, r'$all', encodeValue(values));

  /// Every element of the array is among [values].
  Constraint<M> containedBy(List<Object?> values) => Constraint<M>(name, r'$containedBy', encodeValue(values));

  FieldOperation<M> add(List<Object?> values) => FieldOperation<M>(name, <String, Object?>{'__op': 'Add', 'objects': encodeValue(values)});

  FieldOperation<M> addUnique(List<Object?> values) => FieldOperation<M>(name, <String, Object?>{'__op': 'AddUnique', 'objects': encodeValue(values)});

  FieldOperation<M> remove(List<Object?> values) => FieldOperation<M>(name, <String, Object?>{'__op': 'Remove', 'objects': encodeValue(values)});
}

class PointerField<M extends ParseObject, T extends ParseObject> extends Field<M, ParsePointer<T>> {
  final ModelType<T> target;

  const PointerField(String name, this.target) : super(name);

  Constraint<M> equalToId(String objectId) => equalTo(ParsePointer<T>(target.className, objectId));

  /// The pointed-to object matches [query].
  Constraint<M> matchesQuery(Query<T> query) => Constraint<M>(name, r'$inQuery', query.innerJson());

  Constraint<M> doesNotMatchQuery(Query<T> query) => Constraint<M>(name, r'$notInQuery', query.innerJson());
}

class RelationField<M extends ParseObject, T extends ParseObject> extends Field<M, ParseRelation<T>> {
  final ModelType<T> target;

  const RelationField(String name, this.target) : super(name);

  /// The relation holds the object [objectId].
  Constraint<M> containsId(String objectId) => Constraint<M>(name, null, _pointer(objectId));

  FieldOperation<M> addIds(List<String> objectIds) => FieldOperation<M>(name, <String, Object?>{'__op': 'AddRelation', 'objects': objectIds.map(_pointer).toList()});

  FieldOperation<M> removeIds(List<String> objectIds) => FieldOperation<M>(name, <String, Object?>{'__op': 'RemoveRelation', 'objects': objectIds.map(_pointer).toList()});

  Map<String, Object?> _pointer(String id) => ParsePointer<T>(target.className, id).toJson();
}

class GeoPointField<M extends ParseObject> extends Field<M, ParseGeoPoint> {
  const GeoPointField(String name) : super(name);

  /// Nearest first; [maxKilometers] bounds the distance.
  List<Constraint<M>> near(ParseGeoPoint point, [double? maxKilometers]) => <Constraint<M>>[
        Constraint<M>(name, r'$nearSphere', point.toJson()),
        if (maxKilometers != null) Constraint<M>(name, r'$maxDistanceInKilometers', maxKilometers),
      ];

  /// Within [kilometers] of [point], nearest first.
  List<Constraint<M>> withinKilometers(ParseGeoPoint point, double kilometers) => near(point, kilometers);

  Constraint<M> withinBox(ParseGeoPoint southwest, ParseGeoPoint northeast) => Constraint<M>(name, r'$within', <String, Object?>{
        r'$box': <Object?>[southwest.toJson(), northeast.toJson()],
      });

  Constraint<M> withinPolygon(List<ParseGeoPoint> points) => Constraint<M>(name, r'$geoWithin', <String, Object?>{
        r'$polygon': points.map((p) => p.toJson()).toList(),
      });
}

/// A query on model `M`'s class. Build it with the model's `Fields`, then [find], [first], [count] or [get].
class Query<M extends ParseObject> {
  final ParseClient client;
  final ModelType<M> type;
  final List<Constraint<M>> _constraints = <Constraint<M>>[];
  final List<String> _order = <String>[];
  final List<String> _include = <String>[];
  final List<String> _keys = <String>[];
  int? _limit;
  int? _skip;

  Query(this.client, this.type);

  Query<M> where(List<Constraint<M>> constraints) {
    _constraints.addAll(constraints);
    return this;
  }

  /// The objects in [parent]'s relation [field]: `client.query(ParseUser.type$).relatedTo(pointer, PlayerFields.fans)`.
  Query<M> relatedTo<P extends ParseObject>(ParsePointer<P> parent, RelationField<P, M> field) {
    _constraints.add(Constraint<M>(r'$relatedTo', null, <String, Object?>{'object': parent.toJson(), 'key': field.name}));
    return this;
  }

  Query<M> orderBy(FieldRef<M> field, {bool descending = false}) {
    _order.add(descending ? '-${field.name}' : field.name);
    return this;
  }

  Query<M> limit(int n) {
    _limit = n;
    return this;
  }

  Query<M> skip(int n) {
    _skip = n;
    return this;
  }

  Query<M> include<T extends ParseObject>(PointerField<M, T> field) {
    _include.add(field.name);
    return this;
  }

  Query<M> keys(List<FieldRef<M>> fields) {
    _keys.addAll(fields.map((f) => f.name));
    return this;
  }

  Map<String, Object?> get whereJson => Constraint.whereJson(_constraints);

  /// The query as `$inQuery` takes it.
  Map<String, Object?> innerJson() => <String, Object?>{'className': type.className, 'where': whereJson};

  Map<String, String> _parameters({bool count = false}) {
    final p = <String, String>{'where': canonicalJson(whereJson)};
    if (_order.isNotEmpty) p['order'] = _order.join(',');
    if (_include.isNotEmpty) p['include'] = _include.join(',');
    if (_keys.isNotEmpty) p['keys'] = _keys.join(',');
    if (count) {
      p['count'] = '1';
      p['limit'] = '0';
    } else {
      final limit = _limit;
      final skip = _skip;
      if (limit != null) p['limit'] = '$limit';
      if (skip != null) p['skip'] = '$skip';
    }
    return p;
  }

  /// `<appId>|<className>|<canonical query JSON>`: the same query always maps to the same entry.
  String get cacheKey => '${client.applicationId}|${type.className}|${canonicalJson(_parameters())}';

  Future<List<Object?>> _fetchResults() async {
    final answer = await client.requestJson('GET', 'classes/${type.className}', query: _parameters()) as Map;
    return List<Object?>.from(answer['results'] as List? ?? const <Object?>[]);
  }

  List<M> _decode(Object? results) => (results as List).map((r) => type.fromJson(Map<String, Object?>.from(r as Map))).toList();

  /// The matching objects. [cache] picks how the offline cache is used (see [CachePolicy]);
  /// [ttlMs] is how long a cached answer stays fresh; [cached] receives the cached answer
  /// first under [CachePolicy.cacheThenNetwork], with whether it has expired.
  Future<List<M>> find({CachePolicy cache = CachePolicy.networkOnly, int? ttlMs, void Function(List<M> results, bool expired)? cached}) async {
    final key = cacheKey;
    switch (cache) {
      case CachePolicy.networkOnly:
        return _decode(await _fetchResults());
      case CachePolicy.cacheElseNetwork:
        final fresh = await client.cache.get(key);
        if (fresh != null) return _decode(fresh);
        break;
      case CachePolicy.networkElseCache:
        try {
          final results = await _fetchResults();
          await client.cache.set(key, results, ttlMs);
          return _decode(results);
        } on ParseException catch (error) {
          if (!error.isNetworkError) rethrow;
          final stale = await client.cache.getCacheEntry(key);
          if (stale == null) rethrow;
          return _decode(stale.value);
        }
      case CachePolicy.cacheThenNetwork:
        final entry = await client.cache.getCacheEntry(key);
        if (entry != null && cached != null) cached(_decode(entry.value), entry.expired);
        break;
    }
    final results = await _fetchResults();
    await client.cache.set(key, results, ttlMs);
    return _decode(results);
  }

  Future<M?> first() async {
    final saved = _limit;
    _limit = 1;
    try {
      final found = await find();
      return found.isEmpty ? null : found.first;
    } finally {
      _limit = saved;
    }
  }

  /// The objects and how many match in all (ignoring limit and skip).
  Future<(List<M>, int)> findWithCount() async {
    final answer = await client.requestJson('GET', 'classes/${type.className}', query: {..._parameters(), 'count': '1'}) as Map;
    return (_decode(answer['results'] as List? ?? const <Object?>[]), (answer['count'] as num? ?? 0).toInt());
  }

  Future<int> count() async {
    final answer = await client.requestJson('GET', 'classes/${type.className}', query: _parameters(count: true)) as Map;
    return (answer['count'] as num? ?? 0).toInt();
  }

  /// The object [objectId], with this query's `include` and `keys`.
  Future<M> get(String objectId) async {
    final p = <String, String>{};
    if (_include.isNotEmpty) p['include'] = _include.join(',');
    if (_keys.isNotEmpty) p['keys'] = _keys.join(',');
    final answer = await client.requestJson('GET', 'classes/${type.className}/$objectId', query: p) as Map;
    return type.fromJson(Map<String, Object?>.from(answer));
  }
}

extension ParseQueries on ParseClient {
  /// A query on [type]'s class: `client.query(Player.type$).where([PlayerFields.score.greaterThan(10)])`.
  Query<M> query<M extends ParseObject>(ModelType<M> type) => Query<M>(this, type);
}
