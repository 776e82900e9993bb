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

/** A pointer field as read: the pointer, or the whole object when the query included it. */
export type PointerValue<T extends ParseObject = ParseObject> = Pointer<T> | T;

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
    if ((k === "createdAt" || k === "updatedAt") && typeof v === "string") out[k] = new Date(v);
    else if (k === "ACL") out[k] = v;
    else setKey(out, k, decode(v));
  }
  return out;
}

/** SDK values → wire JSON: `Date` → Parse Date, a model object with an objectId → its Pointer. */
export function encode(value: unknown): unknown {
  if (value instanceof Date) return { __type: "Date", iso: value.toISOString() };
  if (value instanceof Uint8Array) return { __type: "Bytes", base64: base64Encode(value) };
  if (Array.isArray(value)) return value.map(encode);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.__type === "string") return obj;
  if (typeof obj.className === "string" && typeof obj.objectId === "string") return { __type: "Pointer", className: obj.className, objectId: obj.objectId };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) setKey(out, k, encode(v));
  return out;
}

/** The fields of an object to send on save: built-ins the server sets are left out. */
export function encodeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === "className" || k === "objectId" || k === "createdAt" || k === "updatedAt") continue;
    setKey(out, k, k === "ACL" ? v : encode(v));
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
