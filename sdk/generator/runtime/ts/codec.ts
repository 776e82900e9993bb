// codec: Parse's value types and their JSON. On the wire a Date is `{"__type":"Date","iso":...}`;
// in the SDK it is a JavaScript `Date`. Every other Parse type keeps its wire shape as a typed
// object (Pointer, Relation, File, GeoPoint, Polygon, Bytes), so what you read is what is sent.
// Objects fetched through `include` arrive as `{"__type":"Object", "className", ...}` and are
// decoded into model objects carrying `className`.

/** Fields every object has; models add the class's own fields. `C` is the class name. */
export interface ParseObject<C extends string = string> {
  /** The class name (set on objects the SDK decodes; optional when writing). */
  className?: C;
  objectId?: string;
  createdAt?: Date;
  updatedAt?: Date;
  ACL?: ACL;
}

/** The class name type of a model (`"Player"` for `Player`, `string` for the base object). */
export type ClassOf<T extends ParseObject> = NonNullable<T["className"]>;

/** A reference to an object of class `T` (`{"__type":"Pointer","className","objectId"}`). */
export interface Pointer<T extends ParseObject = ParseObject> {
  __type: "Pointer";
  className: ClassOf<T>;
  objectId: string;
}

/** An object the server has: what the SDK answers for fetched, queried and saved objects. */
export type Saved<T extends ParseObject = ParseObject> = T & { objectId: string };

/** A pointer field: the pointer, or the whole object when the query included it. Written, an
 * object must have an objectId (an object the SDK answered has one): a pointer to it is sent. */
export type PointerValue<T extends ParseObject = ParseObject> = Pointer<T> | Saved<T>;

/** A relation to objects of class `T` (query it with `Query.relatedTo`). */
export interface Relation<T extends ParseObject = ParseObject> {
  __type: "Relation";
  className: ClassOf<T>;
}

/** A stored file: `name` is what the server named it, `url` where to download it. */
export interface ParseFile {
  __type: "File";
  name: string;
  url?: string;
}

export interface GeoPoint {
  __type: "GeoPoint";
  latitude: number;
  longitude: number;
}

/** A closed polygon: `[latitude, longitude]` pairs, at least three. */
export interface Polygon {
  __type: "Polygon";
  coordinates: [number, number][];
}

/** Raw bytes, base64-encoded. */
export interface Bytes {
  __type: "Bytes";
  base64: string;
}

/** Who may read and write an object: keys are `*`, a user's objectId or `role:Name`. */
export type ACL = Record<string, { read?: boolean; write?: boolean }>;

/** A JSON object field (Parse type `Object`). */
export type JSONObject = Record<string, unknown>;

export function pointer<T extends ParseObject>(className: ClassOf<T>, objectId: string): Pointer<T> {
  return { __type: "Pointer", className, objectId };
}

/** The pointer to a saved object (it must have a className and an objectId). */
export function pointerTo<T extends ParseObject>(object: T): Pointer<T> {
  if (!object.className || !object.objectId) throw new TypeError("pointerTo needs an object with className and objectId (save it first)");
  return { __type: "Pointer", className: object.className as ClassOf<T>, objectId: object.objectId };
}

export function geoPoint(latitude: number, longitude: number): GeoPoint {
  return { __type: "GeoPoint", latitude, longitude };
}

export function polygon(coordinates: [number, number][]): Polygon {
  return { __type: "Polygon", coordinates };
}

export function bytes(data: Uint8Array): Bytes {
  return { __type: "Bytes", base64: base64Encode(data) };
}

/** Sets `out[key]` as an own property, even for the key `__proto__` (which plain assignment would
 * take as the object's prototype). */
export function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Wire JSON → SDK values: Dates become `Date`, included objects get their `className`. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj.__type === "Date" && typeof obj.iso === "string") return new Date(obj.iso);
  if (obj.__type === "Object") {
    const { __type: _, ...rest } = obj;
    return decodeObject(rest);
  }
  if (typeof obj.__type === "string") return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) setKey(out, k, decode(v));
  return out;
}

/** Decodes a whole object as the REST API answers it; `createdAt`/`updatedAt` are ISO strings there. */
export function decodeObject(obj: Record<string, unknown>, className?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (className !== undefined) out.className = className;
  for (const [k, v] of Object.entries(obj)) {
    if (k === "className" && className !== undefined) continue;
    if ((k === "createdAt" || k === "updatedAt") && typeof v === "string") out[k] = new Date(v);
    else if (k === "ACL") out[k] = v;
    else setKey(out, k, decode(v));
  }
  return track(out);
}

/** Where an object the SDK decoded or saved keeps its fields as the server has them (wire JSON
 * by field): not enumerable, so spreading or serialising the object leaves it out. */
const SAVED = Symbol("hearth.savedFields");

/** Marks `object` as the server has it now: within another value it is sent as a Pointer, and
 * saving it later sends only the fields changed since. Answers `object`. */
export function track<T extends object>(object: T): T {
  const saved: Record<string, string> = {};
  for (const [k, v] of Object.entries(object)) if (v !== undefined) saved[k] = canonicalJSON(k === "ACL" ? v : encode(v));
  Object.defineProperty(object, SAVED, { value: saved, enumerable: false, configurable: true, writable: true });
  return object;
}

/** The fields of an object the SDK decoded or saved as the server had them (canonical wire JSON
 * by field), or undefined for an object the app built itself. */
export function savedFields(object: object): Readonly<Record<string, string>> | undefined {
  return (object as { [SAVED]?: Record<string, string> })[SAVED];
}

/** SDK values → wire JSON: `Date` → Parse Date; an object the SDK decoded or saved (it has a
 * className and an objectId), or one holding only `className` and `objectId`, → its Pointer.
 * Any other object is sent as the JSON object it is, whatever its keys. */
export function encode(value: unknown): unknown {
  if (value instanceof Date) return { __type: "Date", iso: value.toISOString() };
  if (value instanceof Uint8Array) return { __type: "Bytes", base64: base64Encode(value) };
  if (Array.isArray(value)) return value.map(encode);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.__type === "string") return obj;
  if (typeof obj.className === "string" && typeof obj.objectId === "string" && (savedFields(obj) || isBareReference(obj))) return { __type: "Pointer", className: obj.className, objectId: obj.objectId };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) setKey(out, k, encode(v));
  return out;
}

function isBareReference(obj: Record<string, unknown>): boolean {
  return Object.keys(obj).every((k) => k === "className" || k === "objectId" || obj[k] === undefined);
}

/** Fields the SDK reads but never sends: the server sets them. `sessionToken` comes with a
 * logged-in user and must never be stored in its row. */
const NEVER_SENT = new Set(["className", "objectId", "createdAt", "updatedAt", "sessionToken"]);

/** The fields of an object to send on save: built-ins the server sets are left out, and for an
 * object the SDK decoded or saved, every field still as the server has it. */
export function encodeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const saved = savedFields(fields);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || NEVER_SENT.has(k)) continue;
    const wire = k === "ACL" ? v : encode(v);
    if (saved && saved[k] === canonicalJSON(wire)) continue;
    setKey(out, k, wire);
  }
  return out;
}

/** JSON with object keys sorted: the same query always gives the same text (cache keys). */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(obj[k])}`).join(",")}}`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 without `btoa` (React Native may lack it) and without Node's Buffer. */
export function base64Encode(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 3) {
    const a = data[i]!, b = data[i + 1], c = data[i + 2];
    out += ALPHABET.charAt(a >> 2) + ALPHABET.charAt(((a & 3) << 4) | ((b ?? 0) >> 4));
    out += b === undefined ? "=" : ALPHABET.charAt(((b & 15) << 2) | ((c ?? 0) >> 6));
    out += c === undefined ? "=" : ALPHABET.charAt(c & 63);
  }
  return out;
}

export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, n = 0;
  for (const ch of clean) {
    acc = (acc << 6) | ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 255;
    }
  }
  return out.subarray(0, n);
}

/** UTF-8 bytes of a string, without TextEncoder (absent from some React Native engines). */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    let c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    c = 0;
  }
  return new Uint8Array(out);
}

/** The string of UTF-8 bytes, without TextDecoder (absent from some React Native engines);
 * malformed sequences become U+FFFD. */
export function utf8Decode(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; ) {
    const a = data[i]!;
    const need = a < 0x80 ? 0 : a >= 0xf0 && a < 0xf8 ? 3 : a >= 0xe0 ? 2 : a >= 0xc0 ? 1 : -1;
    let c = need === 0 ? a : need === 1 ? a & 31 : need === 2 ? a & 15 : a & 7;
    let ok = need >= 0 && i + need < data.length;
    for (let j = 1; ok && j <= need; j++) {
      const b = data[i + j];
      if (b === undefined || (b & 0xc0) !== 0x80) ok = false;
      else c = (c << 6) | (b & 63);
    }
    if (!ok || c > 0x10ffff) {
      out += "\uFFFD";
      i++;
      continue;
    }
    out += String.fromCodePoint(c);
    i += need + 1;
  }
  return out;
}
