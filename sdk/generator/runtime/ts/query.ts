// query: typed queries. Each model has field references (`Player.f.score`) whose methods exist
// only where the field's type allows them and take values of the field's type, so
// `Player.f.scroe` or `Player.f.score.equalTo("x")` fails to compile. A query collects
// conditions into Parse's `where` JSON plus order/limit/skip/include/keys/count, and runs
// through the client, optionally through the offline cache (cache.ts).

import type { CachePolicy } from "./cache.js";
import { Client, clientOf } from "./client.js";
import { type GeoPoint, type JSONObject, type ParseFile, type ParseObject, type Bytes, type Polygon, type Pointer, type PointerValue, type Relation, type Saved, type ACL, canonicalJSON, decodeObject, encode, pointerTo, setKey } from "./codec.js";
import { ParseError } from "./errors.js";
import { queryString } from "./http.js";
import { LiveSubscription, liveClient } from "./live.js";

/** One condition on a field of model `M` (`op` null: equality). */
export interface Condition<M> {
  readonly key: string;
  readonly op: string | null;
  readonly value: unknown;
  /** More operators on the same field (`$options` of `$regex`, `$maxDistance…` of `$nearSphere`). */
  readonly extra?: JSONObject;
  /** Ties the condition to its model; never set. */
  readonly __model?: M;
}

/** An ordering by a field of model `M`. */
export interface Order<M> {
  readonly key: string;
  readonly __model?: M;
}

/** What every field of model `M` holding values `V` can be queried with. */
export class Field<M, V> {
  declare readonly __model?: M;
  declare readonly __value?: V;
  constructor(readonly name: string) {}
  protected cond(op: string | null, value: unknown, extra?: JSONObject): Condition<M> {
    return extra ? { key: this.name, op, value, extra } : { key: this.name, op, value };
  }
  equalTo(value: V): Condition<M> {
    return this.cond(null, encode(value));
  }
  notEqualTo(value: V): Condition<M> {
    return this.cond("$ne", encode(value));
  }
  containedIn(values: V[]): Condition<M> {
    return this.cond("$in", encode(values));
  }
  notContainedIn(values: V[]): Condition<M> {
    return this.cond("$nin", encode(values));
  }
  exists(): Condition<M> {
    return this.cond("$exists", true);
  }
  doesNotExist(): Condition<M> {
    return this.cond("$exists", false);
  }
  ascending(): Order<M> {
    return { key: this.name };
  }
  descending(): Order<M> {
    return { key: `-${this.name}` };
  }
}

/** Fields whose values have an order: numbers, strings, dates. */
export class ComparableField<M, V> extends Field<M, V> {
  lessThan(value: V): Condition<M> {
    return this.cond("$lt", encode(value));
  }
  lessThanOrEqualTo(value: V): Condition<M> {
    return this.cond("$lte", encode(value));
  }
  greaterThan(value: V): Condition<M> {
    return this.cond("$gt", encode(value));
  }
  greaterThanOrEqualTo(value: V): Condition<M> {
    return this.cond("$gte", encode(value));
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class StringField<M> extends ComparableField<M, string> {
  /** A regular expression (a RegExp's flags i, m, x, s are kept). */
  matches(pattern: string | RegExp, modifiers?: string): Condition<M> {
    const source = typeof pattern === "string" ? pattern : pattern.source;
    const flags = modifiers ?? (typeof pattern === "string" ? "" : pattern.flags.replace(/[^imxs]/g, ""));
    return this.cond("$regex", source, flags ? { $options: flags } : undefined);
  }
  startsWith(prefix: string): Condition<M> {
    return this.cond("$regex", `^${escapeRegex(prefix)}`);
  }
  endsWith(suffix: string): Condition<M> {
    return this.cond("$regex", `${escapeRegex(suffix)}$`);
  }
  contains(part: string): Condition<M> {
    return this.cond("$regex", escapeRegex(part));
  }
  /** Full-text search (`$text`). */
  fullText(term: string): Condition<M> {
    return this.cond("$text", { $search: { $term: term } });
  }
}

export class NumberField<M> extends ComparableField<M, number> {}
export class DateField<M> extends ComparableField<M, Date> {}
export class BooleanField<M> extends Field<M, boolean> {}
export class ObjectField<M> extends Field<M, JSONObject> {}
export class BytesField<M> extends Field<M, Bytes> {}
export class FileField<M> extends Field<M, ParseFile> {}
export class AclField<M> extends Field<M, ACL> {}

/** An array field: `contains` matches arrays holding the value. */
export class ArrayField<M, E = unknown> extends Field<M, E[]> {
  contains(value: E): Condition<M> {
    return this.cond(null, encode(value));
  }
  containsAll(values: E[]): Condition<M> {
    return this.cond("$all", encode(values));
  }
  /** Arrays all of whose elements are among `values`. */
  containedBy(values: E[]): Condition<M> {
    return this.cond("$containedBy", encode(values));
  }
}

/** A pointer to a `T`: compare with an object or a pointer, or match a query on `T`. */
export class PointerField<M, T extends ParseObject> extends Field<M, PointerValue<T>> {
  /** Objects whose pointer points at an object matching `query`. */
  matchesQuery(query: Query<T>): Condition<M> {
    return this.cond("$inQuery", query.subquery());
  }
  doesNotMatchQuery(query: Query<T>): Condition<M> {
    return this.cond("$notInQuery", query.subquery());
  }
}

/** A relation to `T`s: `contains` matches objects whose relation holds the object. */
export class RelationField<M, T extends ParseObject> extends Field<M, Relation<T>> {
  contains(object: PointerValue<T>): Condition<M> {
    return this.cond(null, encode(object));
  }
}

export class GeoPointField<M> extends Field<M, GeoPoint> {
  /** Nearest first. */
  near(point: GeoPoint): Condition<M> {
    return this.cond("$nearSphere", point);
  }
  withinKilometers(point: GeoPoint, km: number): Condition<M> {
    return this.cond("$nearSphere", point, { $maxDistanceInKilometers: km });
  }
  withinMiles(point: GeoPoint, miles: number): Condition<M> {
    return this.cond("$nearSphere", point, { $maxDistanceInMiles: miles });
  }
  withinRadians(point: GeoPoint, radians: number): Condition<M> {
    return this.cond("$nearSphere", point, { $maxDistanceInRadians: radians });
  }
  withinBox(southwest: GeoPoint, northeast: GeoPoint): Condition<M> {
    return this.cond("$within", { $box: [southwest, northeast] });
  }
  withinPolygon(points: GeoPoint[]): Condition<M> {
    return this.cond("$geoWithin", { $polygon: points });
  }
}

export class PolygonField<M> extends Field<M, Polygon> {
  containsPoint(point: GeoPoint): Condition<M> {
    return this.cond("$geoIntersects", { $point: point });
  }
}

/** The built-in fields every model has. */
export function baseFields<M>() {
  return {
    objectId: new StringField<M>("objectId"),
    createdAt: new DateField<M>("createdAt"),
    updatedAt: new DateField<M>("updatedAt"),
  };
}

/** What a query needs to know of its model. */
export interface ModelInfo<M extends ParseObject> {
  readonly className: string;
  /** Ties the info to its model; never set. */
  readonly __model?: M;
}

export interface FindOptions<M> {
  /** How to use the offline cache (default networkOnly). */
  cache?: CachePolicy;
  /** How long the cached answer stays fresh, in milliseconds (default: for ever). */
  ttlMs?: number;
  /** cacheThenNetwork, with find and first: called with the cached answer (if any) before the server's arrives. */
  onCached?: (results: M[], expired: boolean) => void;
  /** Another client than the default one. */
  client?: Client;
}

/** Results of `findWithCount`. */
export interface Counted<M> {
  results: M[];
  count: number;
}

/** Builds the where JSON of conditions: equality as the value, operators merged per field. */
export function whereOf(conditions: readonly Condition<unknown>[]): JSONObject {
  const where: JSONObject = {};
  for (const c of conditions) {
    const prev = Object.prototype.hasOwnProperty.call(where, c.key) ? where[c.key] : undefined;
    if (c.op === null && prev === undefined && !c.extra) {
      setKey(where, c.key, c.value);
    } else {
      const merged = asConstraint(prev) ?? (prev === undefined ? {} : { $eq: prev });
      merged[c.op ?? "$eq"] = c.value;
      setKey(where, c.key, c.extra ? { ...merged, ...c.extra } : merged);
    }
  }
  return where;
}

function asConstraint(v: unknown): JSONObject | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as JSONObject;
  if ("__type" in o) return undefined;
  const keys = Object.keys(o);
  return keys.length > 0 && keys.every((k) => k.startsWith("$")) ? { ...o } : undefined;
}

export class Query<M extends ParseObject> {
  private conditions: Condition<M>[] = [];
  private clauses: JSONObject[] = [];
  private orders: string[] = [];
  private includes: string[] = [];
  private selected: string[] | undefined;
  private limitN: number | undefined;
  private skipN: number | undefined;

  constructor(readonly model: ModelInfo<M>) {}

  /** Objects matching any of the queries (all on the same model). */
  static or<M extends ParseObject>(...queries: Query<M>[]): Query<M> {
    const q = new Query<M>(Query.sameModel(queries));
    q.clauses.push({ $or: queries.map((x) => x.whereJSON()) });
    return q;
  }

  /** Objects matching all of the queries. */
  static and<M extends ParseObject>(...queries: Query<M>[]): Query<M> {
    const q = new Query<M>(Query.sameModel(queries));
    q.clauses.push({ $and: queries.map((x) => x.whereJSON()) });
    return q;
  }

  private static sameModel<M extends ParseObject>(queries: Query<M>[]): ModelInfo<M> {
    if (queries.length === 0) throw new TypeError("Query.or/and need at least one query");
    return queries[0]!.model;
  }

  /** Adds conditions (all must hold). */
  where(...conditions: Condition<M>[]): this {
    this.conditions.push(...conditions);
    return this;
  }

  /** Objects in `owner`'s relation `field`. */
  relatedTo<O extends ParseObject>(owner: O | Pointer<O>, field: RelationField<O, M>): this {
    const ptr = "__type" in owner ? owner : pointerTo(owner as O);
    this.clauses.push({ $relatedTo: { object: ptr, key: field.name } });
    return this;
  }

  /** Sort keys, first one first (`Player.f.score.descending()`). */
  order(...orders: Order<M>[]): this {
    this.orders.push(...orders.map((o) => o.key));
    return this;
  }

  ascending(field: Field<M, unknown>): this {
    return this.order(field.ascending());
  }

  descending(field: Field<M, unknown>): this {
    return this.order(field.descending());
  }

  limit(n: number): this {
    this.limitN = n;
    return this;
  }

  skip(n: number): this {
    this.skipN = n;
    return this;
  }

  /** Fetch the objects these pointer fields point at, in the same request. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any target class
  include(...fields: PointerField<M, any>[]): this {
    this.includes.push(...fields.map((f) => f.name));
    return this;
  }

  /** Include a dotted path (`"team.captain"`) the types cannot check. */
  includePath(...paths: string[]): this {
    this.includes.push(...paths);
    return this;
  }

  /** Only these fields (plus the built-ins) come back (`keys`). */
  select(...fields: Field<M, unknown>[]): this {
    this.selected = [...(this.selected ?? []), ...fields.map((f) => f.name)];
    return this;
  }

  /** The `where` JSON. */
  whereJSON(): JSONObject {
    const where = whereOf(this.conditions as Condition<unknown>[]);
    if (this.clauses.length === 1) Object.assign(where, this.clauses[0]);
    else if (this.clauses.length > 1) {
      const ands: JSONObject[] = [];
      for (const c of this.clauses) if ("$and" in c) ands.push(...(c.$and as JSONObject[]));
      else ands.push(c);
      where.$and = ands;
    }
    return where;
  }

  /** The REST query parameters. */
  params(): JSONObject {
    const p: JSONObject = { where: this.whereJSON() };
    if (this.orders.length) p.order = this.orders.join(",");
    if (this.limitN !== undefined) p.limit = this.limitN;
    if (this.skipN !== undefined) p.skip = this.skipN;
    if (this.includes.length) p.include = this.includes.join(",");
    if (this.selected) p.keys = this.selected.join(",");
    return p;
  }

  /** This query as a `$inQuery` operand. */
  subquery(): JSONObject {
    const p: JSONObject = { className: this.model.className, where: this.whereJSON() };
    if (this.limitN !== undefined) p.limit = this.limitN;
    return p;
  }

  /** The offline cache's key of this query: `<appId>|<className>|<canonical query JSON>`. */
  cacheKey(client?: Client, extra: JSONObject = {}): string {
    return `${clientOf(client).applicationId}|${this.model.className}|${canonicalJSON({ ...this.params(), ...extra })}`;
  }

  private decode(raw: unknown[]): Saved<M>[] {
    return raw.map((r) => decodeObject(r as Record<string, unknown>, this.model.className) as unknown as Saved<M>);
  }

  /** Runs the query (through the cache as `options.cache` says). */
  async find(options: FindOptions<M> = {}): Promise<Saved<M>[]> {
    const onCached = options.onCached;
    const answer = await this.run<{ results: unknown[] }>(this.params(), options, onCached && ((a, expired) => onCached(this.decode(a.results ?? []), expired)));
    return this.decode(answer.results);
  }

  /** The objects and how many match in all (ignoring limit and skip). */
  async findWithCount(options: FindOptions<M> = {}): Promise<Counted<Saved<M>>> {
    const answer = await this.run<{ results: unknown[]; count: number }>({ ...this.params(), count: 1 }, options);
    return { results: this.decode(answer.results), count: answer.count };
  }

  /** How many objects match. */
  async count(options: FindOptions<M> = {}): Promise<number> {
    const answer = await this.run<{ count: number }>({ ...this.params(), count: 1, limit: 0 }, options);
    return answer.count;
  }

  /** The first match, or undefined. */
  async first(options: FindOptions<M> = {}): Promise<Saved<M> | undefined> {
    const onCached = options.onCached;
    const answer = await this.run<{ results: unknown[] }>({ ...this.params(), limit: 1 }, options, onCached && ((a, expired) => onCached(this.decode(a.results ?? []), expired)));
    return this.decode(answer.results)[0];
  }

  /** One object by id (with this query's include/keys); ParseError 101 when there is none. */
  async get(objectId: string, options: { client?: Client } = {}): Promise<Saved<M>> {
    const params: JSONObject = {};
    const p = this.params();
    if (p.include) params.include = p.include;
    if (p.keys) params.keys = p.keys;
    const raw = await clientOf(options.client).request<Record<string, unknown>>("GET", `/classes/${encodeURIComponent(this.model.className)}/${encodeURIComponent(objectId)}`, { params });
    return decodeObject(raw, this.model.className) as unknown as Saved<M>;
  }

  /** Live events of the objects this query matches (LiveQuery over a WebSocket). */
  async subscribe(options: { client?: Client } = {}): Promise<LiveSubscription<M>> {
    return liveClient(clientOf(options.client)).subscribe<M>(this.model.className, this.whereJSON(), this.selected);
  }

  /** The raw answer of GET /classes/<class> with `params`, through the cache policy
   * (`cacheThenNetwork` hands the cached answer to `onCached` first). */
  private async run<T>(params: JSONObject, options: FindOptions<M>, onCached?: (answer: T, expired: boolean) => void): Promise<T> {
    const client = clientOf(options.client);
    const policy = options.cache ?? "networkOnly";
    const key = `${client.applicationId}|${this.model.className}|${canonicalJSON(params)}`;
    const network = async (): Promise<T> => {
      const answer = await findRequest<T>(client, `/classes/${encodeURIComponent(this.model.className)}`, params);
      if (policy !== "networkOnly") {
        try {
          await client.cache.set(key, answer, options.ttlMs);
        } catch {
          // The cache is best effort: a store that fails (full, gone) must not lose the answer.
        }
      }
      return answer;
    };
    switch (policy) {
      case "networkOnly":
        return network();
      case "cacheElseNetwork": {
        const fresh = await client.cache.get<T>(key);
        return fresh !== undefined ? fresh : network();
      }
      case "networkElseCache":
        try {
          return await network();
        } catch (e) {
          const entry = e instanceof ParseError && e.network ? await client.cache.getCacheEntry<T>(key) : undefined;
          if (entry) return entry.value;
          throw e;
        }
      case "cacheThenNetwork": {
        const entry = await client.cache.getCacheEntry<T>(key);
        if (entry && onCached) onCached(entry.value, entry.expired);
        return network();
      }
    }
  }
}

/** Query strings longer than this go as a POST with `_method: "GET"` (URLs have length limits). */
const MAX_QUERY_STRING = 2000;

/** A read of `path` with `params`: a GET, or for a long query (a large `containedIn`) a POST
 * whose body says `_method: "GET"`, as the Parse JavaScript SDK sends it; a read either way, so
 * without a request id and never retried. */
function findRequest<T>(client: Client, path: string, params: JSONObject): Promise<T> {
  if (queryString(params).length <= MAX_QUERY_STRING) return client.request<T>("GET", path, { params });
  return client.request<T>("POST", path, { body: { ...params, _method: "GET" }, retry: false });
}
