// Hearth cloud functions in AssemblyScript (Hearth ABI v1, docs/functions.md).
//
// A module registers its handlers at top level and re-exports the ABI's entry points:
//
//   import { define, beforeSave, Request, Response, JSON } from "@hearth/functions/assembly";
//   export { hearth_abi_v1, hearth_alloc, hearth_handle } from "@hearth/functions/assembly";
//   define("hello", (req: Request): Response => Response.ok(JSON.Value.String("hi")));
//
// Build with `asc module.ts -o module.wasm -O3 --runtime stub` (each call runs in a fresh
// instance, so memory is never freed and the stub runtime is the right one).

import { JSON } from "assemblyscript-json/assembly";
export { JSON };

// ---- the host ----------------------------------------------------------------------------------

@external("hearth", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("hearth", "answer")
declare function host_answer(ptr: usize, len: i32): void;
@external("hearth", "call")
declare function host_call(ptr: usize, len: i32): i32;
@external("hearth", "take")
declare function host_take(ptr: usize): void;

function send(text: string, to: (ptr: usize, len: i32) => void): void {
  const bytes = String.UTF8.encode(text);
  to(changetype<usize>(bytes), bytes.byteLength);
}

// ---- requests and answers ----------------------------------------------------------------------

/** What a handler receives. */
export class Request {
  constructor(public raw: JSON.Obj) {}

  /** "function", "job" or "trigger". */
  get kind(): string { return str(this.raw, "kind"); }
  /** The function or job name. */
  get name(): string { return str(this.raw, "name"); }
  /** The trigger ("beforeSave"...) and its class ("@File" for file triggers). */
  get trigger(): string { return str(this.raw, "trigger"); }
  get className(): string { return str(this.raw, "className"); }
  /** A function's or job's parameters. */
  get params(): JSON.Obj { return obj(this.raw, "params"); }
  /** A trigger's object: as it would be saved (beforeSave), as saved (afterSave), the user
   *  (beforeLogin, afterLogin), the ended session (afterLogout). */
  get object(): JSON.Obj { return obj(this.raw, "object"); }
  /** The stored object before an update (empty on create). */
  get original(): JSON.Obj { return obj(this.raw, "original"); }
  /** beforeFind, afterFind: the query as the REST API spells it (className, where, order,
   *  limit, skip, keys, excludeKeys, include, count). beforeSubscribe: the subscription's query
   *  (className, where, keys?, watch?). Change it and answer `Response.query`. */
  get query(): JSON.Obj { return obj(this.raw, "query"); }
  /** The query's `where` (always there in a beforeFind), to add constraints to. */
  get where(): JSON.Obj {
    const q = this.query;
    let w = q.getObj("where");
    if (w == null) { w = new JSON.Obj(); q.set("where", w); }
    return w;
  }
  /** beforeFind, afterFind: whether the find is a get by id. */
  get isGet(): bool { const b = this.raw.getBool("isGet"); return b != null && b.valueOf(); }
  /** afterFind: the objects found (answer `Response.objects` to replace them). */
  get objects(): JSON.Value[] {
    const a = this.raw.getArr("objects");
    return a == null ? new Array<JSON.Value>() : a.valueOf();
  }
  /** File triggers: {name, contentType, size, metadata, tags}, and url once stored. The bytes are
   *  never given. In beforeSaveFile, `size` is null when the client did not say it beforehand. */
  get file(): JSON.Obj { return obj(this.raw, "file"); }
  /** LiveQuery hooks: "connect" (beforeConnect); "create", "enter", "update", "leave" or
   *  "delete" (afterLiveQueryEvent). */
  get event(): string { return str(this.raw, "event"); }
  /** beforeSubscribe: the client's id of the subscription. */
  get requestId(): f64 { return number(this.raw, "requestId"); }
  /** beforeConnect, afterLiveQueryEvent: the app's LiveQuery clients on this instance. */
  get clients(): f64 { return number(this.raw, "clients"); }
  /** beforeConnect, afterLiveQueryEvent: the app's LiveQuery subscriptions on this instance. */
  get subscriptions(): f64 { return number(this.raw, "subscriptions"); }
  /** Whether the caller used the master key. */
  get master(): bool { const b = this.raw.getBool("master"); return b != null && b.valueOf(); }
  /** The caller's user id ("" when none). */
  get userId(): string { const u = this.raw.getObj("user"); return u == null ? "" : str(u, "objectId"); }
  get installationId(): string { return str(this.raw, "installationId"); }
  /** A job run's `_JobStatus` objectId. */
  get jobId(): string { return str(this.raw, "jobId"); }
  /** A scheduled job run's tick, as a Parse Date object (empty when started over the API). */
  get scheduledFor(): JSON.Obj { return obj(this.raw, "scheduledFor"); }
}

/** A number field (integer or not); NaN when absent or not a number. */
export function number(o: JSON.Obj, key: string): f64 {
  const i = o.getInteger(key);
  if (i != null) return <f64>i.valueOf();
  const n = o.getNum(key);
  return n == null ? NaN : n.valueOf();
}

/** Removes a key from an object (assemblyscript-json's `Obj` has no method for it). */
export function remove(o: JSON.Obj, key: string): void { o._obj.delete(key); }

function str(o: JSON.Obj, key: string): string {
  const v = o.getString(key);
  return v == null ? "" : v.valueOf();
}

function obj(o: JSON.Obj, key: string): JSON.Obj {
  const v = o.getObj(key);
  return v == null ? new JSON.Obj() : v;
}

/** A handler's answer: a result, a (changed) object, or an error with a Parse code. */
export class Response {
  constructor(public json: JSON.Obj) {}

  /** An answer of one key: `{key: value}`. */
  static of(key: string, value: JSON.Value): Response {
    const o = new JSON.Obj();
    o.set(key, value);
    return new Response(o);
  }

  /** A function's result (`{"result": value}` for the client). */
  static ok(value: JSON.Value): Response { return Response.of("result", value); }

  /** beforeSave: the object to save (changes to what the trigger was given are written). */
  static object(object: JSON.Obj): Response { return Response.of("object", object); }

  /** beforeFind: the query to run instead (a get stays on its objectId whatever it says).
   *  beforeSubscribe: the subscription's query instead (on the same class). */
  static query(query: JSON.Obj): Response { return Response.of("query", query); }

  /** afterFind: the objects the client gets instead of those found. */
  static objects(objects: JSON.Value[]): Response {
    const a = new JSON.Arr();
    for (let i = 0; i < objects.length; i++) a.push(objects[i]);
    return Response.of("objects", a);
  }

  /** beforeSaveFile: the file to store instead: a new `name`, `contentType`, `metadata` or
   *  `tags` (keys left out stay as they were). */
  static file(file: JSON.Obj): Response { return Response.of("file", file); }

  /** afterLiveQueryEvent: whether the subscriber gets the event, and the `object` and
   *  `original` it gets instead of the event's (null: unchanged). They stay the same object
   *  (`className`, `objectId`); what the subscriber may not see is removed after the hook. */
  static event(send: bool, object: JSON.Obj | null = null, original: JSON.Obj | null = null): Response {
    const o = new JSON.Obj();
    o.set("sendEvent", send);
    if (object != null) o.set("object", object);
    if (original != null) o.set("original", original);
    return new Response(o);
  }

  /** Go ahead unchanged (triggers), or a null result (functions). */
  static nothing(): Response {
    return Response.ok(JSON.Value.Null());
  }

  /** An error for the client: Parse's code 141 (script failed) unless another is given. */
  static error(message: string, code: i32 = 141): Response {
    const e = new JSON.Obj();
    e.set("code", code);
    e.set("message", message);
    return Response.of("error", e);
  }
}

export type Handler = (req: Request) => Response;

// ---- registration ------------------------------------------------------------------------------

const functions = new Map<string, Handler>();
const jobs = new Map<string, Handler>();
const triggers = new Map<string, Handler>();
/** Declared types by function name: the schemas' text as given ("" when not declared), only
 *  read when the manifest is asked for (each call runs in a fresh instance, so registration
 *  runs at every call and must stay cheap). */
const functionTypes = new Map<string, string[]>();

/** A function, called at POST /parse/functions/NAME (Parse.Cloud.run). */
export function define(name: string, handler: Handler): void {
  functions.set(name, handler);
  functionTypes.delete(name);
}
/** A function with declared parameter and result shapes: each a JSON Schema as JSON text, ""
 *  when not declared (keywords type, properties, required, items, enum, additionalProperties,
 *  description, title; docs/functions.md). Generated client SDKs type their calls of it from
 *  them; Hearth checks the schemas at deploy (text that is not JSON is refused there, naming the
 *  function, the part and the line), not the calls. */
export function defineTyped(name: string, paramsSchema: string, resultSchema: string, handler: Handler): void {
  define(name, handler);
  if (paramsSchema.length > 0 || resultSchema.length > 0) functionTypes.set(name, [paramsSchema, resultSchema]);
}
/** A job, run by POST /parse/jobs/NAME or a schedule. */
export function job(name: string, handler: Handler): void { jobs.set(name, handler); }
export function beforeSave(className: string, handler: Handler): void { triggers.set("beforeSave:" + className, handler); }
export function afterSave(className: string, handler: Handler): void { triggers.set("afterSave:" + className, handler); }
export function beforeDelete(className: string, handler: Handler): void { triggers.set("beforeDelete:" + className, handler); }
export function afterDelete(className: string, handler: Handler): void { triggers.set("afterDelete:" + className, handler); }
/** Runs before finds and gets on a class: may answer another query, or an error. */
export function beforeFind(className: string, handler: Handler): void { triggers.set("beforeFind:" + className, handler); }
/** Runs on what finds and gets on a class found: may answer other objects, or an error. */
export function afterFind(className: string, handler: Handler): void { triggers.set("afterFind:" + className, handler); }
/** Runs when a user's credentials are good, before its session exists: an error refuses the login. */
export function beforeLogin(handler: Handler): void { triggers.set("beforeLogin:_User", handler); }
/** Runs after a login (the user in `object` and `userId`); errors are only logged. */
export function afterLogin(handler: Handler): void { triggers.set("afterLogin:_User", handler); }
/** Runs after a logout (the ended session in `object`); errors are only logged. */
export function afterLogout(handler: Handler): void { triggers.set("afterLogout:_Session", handler); }
/** Runs before an upload is stored (`file`): an error refuses it; `Response.file` changes it. */
export function beforeSaveFile(handler: Handler): void { triggers.set("beforeSaveFile:@File", handler); }
/** Runs once a file is stored; errors are only logged. */
export function afterSaveFile(handler: Handler): void { triggers.set("afterSaveFile:@File", handler); }
/** Runs before a file is deleted: an error refuses the delete. */
export function beforeDeleteFile(handler: Handler): void { triggers.set("beforeDeleteFile:@File", handler); }
/** Runs once a file is deleted; errors are only logged. */
export function afterDeleteFile(handler: Handler): void { triggers.set("afterDeleteFile:@File", handler); }
/** Runs when a LiveQuery client connects: an error refuses the connection. */
export function beforeConnect(handler: Handler): void { triggers.set("beforeConnect:@Connect", handler); }
/** Runs when a LiveQuery client subscribes to a class: may answer another query
 *  (`Response.query`), or an error. */
export function beforeSubscribe(className: string, handler: Handler): void { triggers.set("beforeSubscribe:" + className, handler); }
/** Runs before a LiveQuery event of a class reaches one subscriber: may drop it or change its
 *  objects (`Response.event`), or answer an error for the subscriber. */
export function afterLiveQueryEvent(className: string, handler: Handler): void { triggers.set("afterLiveQueryEvent:" + className, handler); }

// ---- the ABI's entry points (re-export these from your module) ---------------------------------

/** Says the module speaks Hearth ABI v1. */
export function hearth_abi_v1(): void {}

/** Memory for the request. */
export function hearth_alloc(len: i32): usize {
  return changetype<usize>(new ArrayBuffer(len));
}

function names(m: Map<string, Handler>): JSON.Arr {
  const a = new JSON.Arr();
  const keys = m.keys();
  for (let i = 0; i < keys.length; i++) a.push(JSON.Value.String(keys[i]));
  return a;
}

/** Handles one request; the answer goes back through `hearth.answer`. */
export function hearth_handle(ptr: usize, len: i32): i32 {
  const request = <JSON.Obj>JSON.parse(String.UTF8.decodeUnsafe(ptr, len));
  const req = new Request(request);
  const kind = req.kind;
  if (kind == "manifest") {
    send(manifest(), host_answer);
    return 0;
  }
  const table = kind == "function" ? functions : kind == "job" ? jobs : triggers;
  const key = kind == "trigger" ? req.trigger + ":" + req.className : req.name;
  const answer = table.has(key) ? table.get(key)(req) : Response.error("Invalid function: \"" + key + "\"");
  send(answer.json.stringify(), host_answer);
  return 0;
}

/** The manifest's JSON: functions, jobs, triggers, and functionTypes when a function declares
 *  types, each schema as a JSON string of its text (Hearth parses it at deploy). */
function manifest(): string {
  const o = new JSON.Obj();
  o.set("functions", names(functions));
  o.set("jobs", names(jobs));
  o.set("triggers", names(triggers));
  const text = o.stringify();
  if (functionTypes.size == 0) return text;
  const keys = functionTypes.keys();
  const types = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const schemas = functionTypes.get(keys[i]);
    const parts = new Array<string>();
    if (schemas[0].length > 0) parts.push("\"params\":" + jsonString(schemas[0]));
    if (schemas[1].length > 0) parts.push("\"result\":" + jsonString(schemas[1]));
    types[i] = jsonString(keys[i]) + ":{" + parts.join(",") + "}";
  }
  return text.slice(0, text.length - 1) + ",\"functionTypes\":{" + types.join(",") + "}}";
}

/** `s` as a JSON string: quote, backslash and control characters escaped (assemblyscript-json's
 *  own escaping writes a backslash before a raw control character, which is not JSON). */
function jsonString(s: string): string {
  const out = new Array<string>();
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x22 && c != 0x5c && c >= 0x20) continue;
    out.push(s.slice(from, i));
    if (c == 0x22) out.push("\\\"");
    else if (c == 0x5c) out.push("\\\\");
    else if (c == 0x0a) out.push("\\n");
    else if (c == 0x0d) out.push("\\r");
    else if (c == 0x09) out.push("\\t");
    else out.push("\\u00" + (c < 0x10 ? "0" : "1") + "0123456789abcdef".charAt(c & 0xf));
    from = i + 1;
  }
  out.push(s.slice(from));
  return "\"" + out.join("") + "\"";
}

// ---- what a handler may ask of Hearth ----------------------------------------------------------

/** A host call's outcome: `ok` and `value`, or `code` and `message`. */
export class Result {
  constructor(public ok: bool, public value: JSON.Value, public code: i32, public message: string) {}

  /** The value as an object (empty if it is not one). */
  get obj(): JSON.Obj { return this.value.isObj ? <JSON.Obj>this.value : new JSON.Obj(); }
  /** A query's results. */
  get results(): JSON.Value[] {
    const r = this.obj.getArr("results");
    return r == null ? new Array<JSON.Value>() : r.valueOf();
  }
}

/** Any host call (`{"op": ...}`); the typed helpers below are built on it. */
export function call(op: JSON.Obj): Result {
  const bytes = String.UTF8.encode(op.stringify());
  const size = host_call(changetype<usize>(bytes), bytes.byteLength);
  const out = new ArrayBuffer(size);
  host_take(changetype<usize>(out));
  const answer = <JSON.Obj>JSON.parse(String.UTF8.decode(out));
  const error = answer.getObj("error");
  if (error != null) {
    const code = error.getInteger("code");
    return new Result(false, JSON.Value.Null(), code == null ? 141 : <i32>code.valueOf(), str(error, "message"));
  }
  const value = answer.get("result");
  return new Result(true, value == null ? JSON.Value.Null() : value, 0, "");
}

function op(name: string, useMasterKey: bool): JSON.Obj {
  const o = new JSON.Obj();
  o.set("op", name);
  if (useMasterKey) o.set("useMasterKey", true);
  return o;
}

/** A query, with the caller's rights (or the master's). `options` may set order, limit, skip,
 *  keys, include, count as in the REST API. */
export function query(className: string, where: JSON.Obj, options: JSON.Obj | null = null, useMasterKey: bool = false): Result {
  const o = op("find", useMasterKey);
  o.set("className", className);
  o.set("where", where);
  if (options != null) {
    const keys = options.keys;
    for (let i = 0; i < keys.length; i++) o.set(keys[i], options.get(keys[i])!);
  }
  return call(o);
}

export function get(className: string, objectId: string, useMasterKey: bool = false): Result {
  const o = op("get", useMasterKey);
  o.set("className", className);
  o.set("objectId", objectId);
  return call(o);
}

/** Creates (no objectId) or updates an object; answers what the REST API answers. */
export function save(className: string, object: JSON.Obj, objectId: string = "", useMasterKey: bool = false): Result {
  const o = op("save", useMasterKey);
  o.set("className", className);
  o.set("object", object);
  if (objectId.length > 0) o.set("objectId", objectId);
  return call(o);
}

export function destroy(className: string, objectId: string, useMasterKey: bool = false): Result {
  const o = op("delete", useMasterKey);
  o.set("className", className);
  o.set("objectId", objectId);
  return call(o);
}

/** The app's Parse Config parameters. */
export function config(useMasterKey: bool = false): Result { return call(op("config", useMasterKey)); }

/** One of the app's secrets (settings.functions.secrets); null when unset. */
export function secret(name: string): Result {
  const o = op("secret", false);
  o.set("name", name);
  return call(o);
}

/** A job reports how it is doing: its `_JobStatus` message, and progress when >= 0. */
export function message(text: string, progress: f64 = -1): Result {
  const o = op("message", false);
  o.set("message", text);
  if (progress >= 0) o.set("progress", progress);
  return call(o);
}

/** Runs another function of the app. */
export function run(name: string, params: JSON.Obj): Result {
  const o = op("run", false);
  o.set("name", name);
  o.set("params", params);
  return call(o);
}

/** Sends a push as `POST /parse/push` does: `push` holds `channels` or `where`, `data`, and
 *  optionally `push_time`, `expiration_time` or `expiration_interval`. Needs master rights
 *  (settings.functions.allowMasterKey); answers `{pushStatusId}`. */
export function push(body: JSON.Obj, useMasterKey: bool = true): Result {
  const o = op("push", useMasterKey);
  const keys = body.keys;
  for (let i = 0; i < keys.length; i++) {
    const value = body.get(keys[i]);
    if (value != null && keys[i] != "op" && keys[i] != "useMasterKey") o.set(keys[i], <JSON.Value>value);
  }
  return call(o);
}

/** HTTP to a host on the app's allow-list (settings.functions.httpAllow); answers
 *  `{status, headers, body}`. */
export function httpFetch(method: string, url: string, body: string = "", headers: JSON.Obj | null = null): Result {
  const o = op("http", false);
  o.set("method", method);
  o.set("url", url);
  if (body.length > 0) o.set("body", body);
  if (headers != null) o.set("headers", headers);
  return call(o);
}

/** Logging to the app's function log. */
export function log(message: string): void { send1(1, message); }
export function debug(message: string): void { send1(0, message); }
export function warn(message: string): void { send1(2, message); }
export function error(message: string): void { send1(3, message); }

function send1(level: i32, message: string): void {
  const bytes = String.UTF8.encode(message);
  host_log(level, changetype<usize>(bytes), bytes.byteLength);
}
