// objects: a model's handle (`Player` the value, next to `Player` the type): create, update
// with field operators, save, fetch, delete, batch, and its queries. Objects are plain data
// typed by the model's interface; `Write<M>` is what may be sent for model `M`: each field its
// value or an operator that suits its type (increment numbers, add/remove on arrays,
// addRelation/removeRelation on relations, unset anything).

import { Client, clientOf } from "./client.js";
import { type ACL, type JSONObject, type ParseObject, type PointerValue, type Relation, type Saved, decodeObject, encodeFields, setKey, track } from "./codec.js";
import { ParseError } from "./errors.js";
import { Query, baseFields } from "./query.js";

/** `{"__op":"Increment","amount":n}` */
export interface IncrementOp {
  __op: "Increment";
  amount: number;
}
/** `Add`, `AddUnique`, `Remove` on an array field. */
export interface ArrayOp<E> {
  __op: "Add" | "AddUnique" | "Remove";
  objects: E[];
}
/** `AddRelation`, `RemoveRelation` on a relation field. */
export interface RelationOp<T extends ParseObject> {
  __op: "AddRelation" | "RemoveRelation";
  objects: PointerValue<T>[];
}
/** `{"__op":"Delete"}`: removes the field. */
export interface UnsetOp {
  __op: "Delete";
}

export function increment(amount = 1): IncrementOp {
  return { __op: "Increment", amount };
}
export function add<E>(...objects: E[]): ArrayOp<E> {
  return { __op: "Add", objects };
}
export function addUnique<E>(...objects: E[]): ArrayOp<E> {
  return { __op: "AddUnique", objects };
}
export function remove<E>(...objects: E[]): ArrayOp<E> {
  return { __op: "Remove", objects };
}
export function addRelation<T extends ParseObject>(...objects: PointerValue<T>[]): RelationOp<T> {
  return { __op: "AddRelation", objects };
}
export function removeRelation<T extends ParseObject>(...objects: PointerValue<T>[]): RelationOp<T> {
  return { __op: "RemoveRelation", objects };
}
export function unset(): UnsetOp {
  return { __op: "Delete" };
}

/** What may be written to a field holding `V`. */
export type WriteValue<V> =
  | V
  | UnsetOp
  | (V extends number ? IncrementOp : never)
  | (V extends readonly (infer E)[] ? ArrayOp<E> : never)
  | (V extends Relation<infer T> ? RelationOp<T> : never);

/** The fields of `M` the SDK reads but never sends. */
type ServerSet = "className" | "objectId" | "createdAt" | "updatedAt";

/** What may be sent when creating or updating an `M`. */
export type Write<M> = { [K in Exclude<keyof M, ServerSet>]?: WriteValue<NonNullable<M[K]>> } & { ACL?: ACL };

/** What may be sent when creating an `M`: `Write<M>` with the fields in `R` (those the schema
 * marks required and gives no default) required. */
export type Create<M, R extends keyof M = never> = Write<M> & { [K in Exclude<R, ServerSet>]-?: WriteValue<NonNullable<M[K]>> };

/** An `M` to save: its objectId says whether it exists already. */
export type Saveable<M> = Write<M> & { objectId?: string };

/** One request of a batch (`Player.createOp(...)`, ...). */
export interface BatchOp {
  method: "POST" | "PUT" | "DELETE";
  /** Path below the server URL, e.g. `/classes/Player`. */
  path: string;
  body?: JSONObject;
}

/** One answer of a batch: the server's `success` object or a ParseError. */
export interface BatchResult {
  success?: JSONObject | undefined;
  error?: ParseError | undefined;
}

/** Everything the typed API offers for model `M` with field references `F` and required fields `R`. */
export class Model<M extends ParseObject, F, R extends keyof M = never> {
  /** Field references, for queries: `Player.f.score.greaterThan(10)`. */
  readonly f: F & ReturnType<typeof baseFields<M>>;
  declare readonly __model?: M;

  constructor(readonly className: string, fields: F) {
    this.f = { ...baseFields<M>(), ...fields };
  }

  protected path(objectId?: string): string {
    const base = `/classes/${encodeURIComponent(this.className)}`;
    return objectId === undefined ? base : `${base}/${encodeURIComponent(objectId)}`;
  }

  /** A query on this class. */
  query(): Query<M> {
    return new Query<M>(this);
  }

  /** One object by id (ParseError 101 when there is none or you may not see it). */
  get(objectId: string, options: { client?: Client } = {}): Promise<Saved<M>> {
    return this.query().get(objectId, options);
  }

  /** Creates an object; answers it with its objectId and createdAt. */
  async create(data: Create<M, R>, options: { client?: Client } = {}): Promise<Saved<M>> {
    const raw = await clientOf(options.client).request<JSONObject>("POST", this.path(), { body: encodeFields(data as JSONObject) });
    return this.merged(data as JSONObject, raw);
  }

  /** Updates the fields given (values or operators); answers what was sent merged with what the
   * server answered (operators' results, updatedAt). */
  async update(objectId: string, data: Write<M>, options: { client?: Client } = {}): Promise<Saved<M>> {
    const raw = await clientOf(options.client).request<JSONObject>("PUT", this.path(objectId), { body: encodeFields(data as JSONObject) });
    return this.merged({ ...(data as JSONObject), objectId }, raw);
  }

  /** Creates the object when it has no objectId, else updates it. An object the SDK answered
   * (fetched, queried, saved) sends only the fields changed since; any other object sends every
   * field it has. Answers the object with the server's answer merged in. */
  save(object: Saveable<M>, options: { client?: Client } = {}): Promise<Saved<M>> {
    const objectId = object.objectId;
    return objectId ? this.update(objectId, object as Write<M>, options) : this.create(object as Create<M, R>, options);
  }

  /** The object as stored now. */
  fetch(object: M, options: { client?: Client } = {}): Promise<Saved<M>> {
    if (!object.objectId) throw new TypeError("fetch needs an object with an objectId");
    return this.get(object.objectId, options);
  }

  /** Deletes an object (by id or the object). */
  async destroy(object: string | M, options: { client?: Client } = {}): Promise<void> {
    const id = typeof object === "string" ? object : object.objectId;
    if (!id) throw new TypeError("destroy needs an objectId");
    await clientOf(options.client).request("DELETE", this.path(id));
  }

  createOp(data: Create<M, R>): BatchOp {
    return { method: "POST", path: this.path(), body: encodeFields(data as JSONObject) };
  }
  updateOp(objectId: string, data: Write<M>): BatchOp {
    return { method: "PUT", path: this.path(objectId), body: encodeFields(data as JSONObject) };
  }
  destroyOp(objectId: string): BatchOp {
    return { method: "DELETE", path: this.path(objectId) };
  }

  /** Decodes a fetched object of this class. */
  decode(raw: JSONObject): M {
    return decodeObject(raw, this.className) as M;
  }

  /** What was written (operators dropped) with the server's answer on top. */
  protected merged(sent: JSONObject, answer: JSONObject): Saved<M> {
    const out: JSONObject = {};
    for (const [k, v] of Object.entries(sent)) {
      const isOp = v !== null && typeof v === "object" && "__op" in (v as JSONObject);
      if (!isOp && v !== undefined) setKey(out, k, v);
    }
    return track({ ...out, ...decodeObject(answer, this.className) }) as unknown as Saved<M>;
  }
}

/** Sends up to 50 writes in one request (`transaction`: all or nothing); answers one result per op. */
export async function batch(ops: BatchOp[], options: { transaction?: boolean; client?: Client } = {}): Promise<BatchResult[]> {
  const client = clientOf(options.client);
  const mount = client.serverURL.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  const requests = ops.map((op) => (op.body === undefined ? { method: op.method, path: mount + op.path } : { method: op.method, path: mount + op.path, body: op.body }));
  const body: JSONObject = options.transaction ? { requests, transaction: true } : { requests };
  const answers = await client.request<{ success?: JSONObject; error?: { code: number; error: string } }[]>("POST", "/batch", { body });
  return answers.map((a) => (a.error ? { error: new ParseError(a.error.code, a.error.error) } : { success: a.success }));
}

/** The handle of model `M` whose fields `R` are required on create:
 * `model<Player, "name">()("Player", { ...field references })` (the two calls let TypeScript
 * infer the field references' type while `M` and `R` are given). */
export function model<M extends ParseObject, R extends keyof M = never>() {
  return <F>(className: string, fields: F): Model<M, F, R> => new Model<M, F, R>(className, fields);
}
