// live: LiveQuery subscriptions over one WebSocket per client, at the server URL with ws/wss
// (Hearth serves LiveQuery on the `/parse` path). Protocol ops: connect (application id, key,
// session token), subscribe (requestId, query {className, where, keys}), unsubscribe. Events
// create/enter/update/leave/delete carry the object, decoded to the model. When the socket
// closes unexpectedly the client reconnects with backoff and subscribes again.

import { Client } from "./client.js";
import { type JSONObject, type ParseObject, decodeObject } from "./codec.js";
import { ParseError, RuntimeCode } from "./errors.js";

/** What the SDK uses of a WebSocket (the browser's, React Native's and the `ws` package's). */
export interface WebSocketLike {
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
/** A WebSocket class. Its instances are typed `any` because each platform declares its event
 * handlers with its own event types, which no one interface accepts; the SDK uses only what
 * `WebSocketLike` lists. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WebSocketConstructor = new (url: string) => any;

export type LiveEvent = "create" | "enter" | "update" | "leave" | "delete";

/** Handlers by event: `update`, `enter` and `leave` also get the object as it was before. */
export interface LiveHandlers<M> {
  create: (object: M) => void;
  enter: (object: M, original?: M) => void;
  update: (object: M, original?: M) => void;
  leave: (object: M, original?: M) => void;
  delete: (object: M) => void;
  error: (error: ParseError) => void;
}

export class LiveSubscription<M extends ParseObject> {
  private readonly handlers: { [K in keyof LiveHandlers<M>]: LiveHandlers<M>[K][] } = { create: [], enter: [], update: [], leave: [], delete: [], error: [] };

  constructor(
    private readonly live: LiveClient,
    readonly requestId: number,
    readonly className: string,
    readonly query: JSONObject,
  ) {}

  on<E extends keyof LiveHandlers<M>>(event: E, handler: LiveHandlers<M>[E]): this {
    this.handlers[event].push(handler);
    return this;
  }

  /** Stops the events (the socket stays for other subscriptions). */
  unsubscribe(): void {
    this.live.unsubscribe(this.requestId);
  }

  /** Called by the client with a frame for this subscription. */
  dispatch(frame: JSONObject): void {
    if (frame.op === "error") {
      const err = new ParseError(Number(frame.code ?? RuntimeCode.OTHER_CAUSE), String(frame.error ?? "LiveQuery error"));
      for (const h of this.handlers.error) h(err);
      return;
    }
    const op = frame.op as LiveEvent;
    const object = decodeObject((frame.object ?? {}) as JSONObject, this.className) as M;
    const original = frame.original ? (decodeObject(frame.original as JSONObject, this.className) as M) : undefined;
    for (const h of this.handlers[op] ?? []) (h as (o: M, p?: M) => void)(object, original);
  }
}

interface Pending {
  sub: LiveSubscription<ParseObject>;
  resolve: () => void;
  reject: (e: ParseError) => void;
  subscribed: boolean;
}

export class LiveClient {
  private socket: WebSocketLike | undefined;
  private connected = false;
  private closedByUs = false;
  private nextId = 1;
  private attempts = 0;
  private readonly subs = new Map<number, Pending>();

  constructor(private readonly client: Client) {}

  private url(): string {
    return this.client.options.liveQueryURL ?? this.client.serverURL.replace(/^http/i, "ws");
  }

  private open(): void {
    const Ctor = this.client.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new ParseError(RuntimeCode.OTHER_CAUSE, "no WebSocket: pass one to initialize (in Node 20, the `ws` package's)");
    this.closedByUs = false;
    const ws: WebSocketLike = new Ctor(this.url());
    this.socket = ws;
    ws.onopen = () => void this.sendConnect();
    ws.onmessage = (ev) => this.receive(typeof ev.data === "string" ? ev.data : String(ev.data));
    ws.onerror = () => {};
    ws.onclose = () => this.closed(ws);
  }

  private async sendConnect(): Promise<void> {
    const o = this.client.options;
    const frame: JSONObject = { op: "connect", applicationId: this.client.applicationId };
    if (o.javascriptKey) frame.javascriptKey = o.javascriptKey;
    if (o.clientKey) frame.clientKey = o.clientKey;
    if (o.restApiKey) frame.restAPIKey = o.restApiKey;
    if (o.masterKey) frame.masterKey = o.masterKey;
    const token = await this.client.sessionToken();
    if (token) frame.sessionToken = token;
    this.socket?.send(JSON.stringify(frame));
  }

  private receive(text: string): void {
    let frame: JSONObject;
    try {
      frame = JSON.parse(text) as JSONObject;
    } catch {
      return;
    }
    if (frame.op === "connected") {
      this.connected = true;
      this.attempts = 0;
      for (const p of this.subs.values()) void this.sendSubscribe(p);
      return;
    }
    const pending = typeof frame.requestId === "number" ? this.subs.get(frame.requestId) : undefined;
    if (frame.op === "subscribed" && pending) {
      pending.subscribed = true;
      pending.resolve();
    } else if (frame.op === "error" && pending && !pending.subscribed) {
      this.subs.delete(pending.sub.requestId);
      pending.reject(new ParseError(Number(frame.code ?? RuntimeCode.OTHER_CAUSE), String(frame.error)));
    } else if (pending) {
      pending.sub.dispatch(frame);
    } else if (frame.op === "error") {
      // An error of the connection (a refused connect or reconnect: bad key, expired session, a
      // hook said no): every subscription hears it, those still waiting fail. A refusal (before
      // `connected`) or `reconnect: false` ends the connection: no reconnecting.
      const err = new ParseError(Number(frame.code ?? RuntimeCode.OTHER_CAUSE), String(frame.error ?? "LiveQuery error"));
      const stop = !this.connected || frame.reconnect === false;
      for (const [id, p] of [...this.subs]) {
        if (p.subscribed) {
          if (stop) this.subs.delete(id);
          p.sub.dispatch(frame);
        } else {
          this.subs.delete(id);
          p.reject(err);
        }
      }
      if (stop || this.subs.size === 0) this.close();
    }
  }

  private async sendSubscribe(p: Pending): Promise<void> {
    const query: JSONObject = { className: p.sub.className, ...p.sub.query };
    const frame: JSONObject = { op: "subscribe", requestId: p.sub.requestId, query };
    const token = await this.client.sessionToken();
    if (token) frame.sessionToken = token;
    this.socket?.send(JSON.stringify(frame));
  }

  private closed(ws: WebSocketLike): void {
    if (ws !== this.socket) return;
    this.connected = false;
    this.socket = undefined;
    if (this.closedByUs || this.subs.size === 0) return;
    this.attempts++;
    const delay = Math.min(250 * 2 ** (this.attempts - 1), 10_000);
    const timer = (globalThis as unknown as { setTimeout: (f: () => void, ms: number) => unknown }).setTimeout;
    timer(() => {
      if (!this.socket && this.subs.size > 0) this.open();
    }, delay);
  }

  /** Subscribes; resolves once the server confirmed it. */
  subscribe<M extends ParseObject>(className: string, where: JSONObject, keys?: string[]): Promise<LiveSubscription<M>> {
    const query: JSONObject = keys ? { where, keys } : { where };
    const sub = new LiveSubscription<M>(this, this.nextId++, className, query);
    return new Promise((resolve, reject) => {
      const p: Pending = { sub: sub as unknown as LiveSubscription<ParseObject>, resolve: () => resolve(sub), reject, subscribed: false };
      this.subs.set(sub.requestId, p);
      try {
        if (!this.socket) this.open();
        else if (this.connected) void this.sendSubscribe(p);
      } catch (e) {
        this.subs.delete(sub.requestId);
        reject(e);
      }
    });
  }

  unsubscribe(requestId: number): void {
    if (!this.subs.delete(requestId)) return;
    if (this.connected) this.socket?.send(JSON.stringify({ op: "unsubscribe", requestId }));
    if (this.subs.size === 0) this.close();
  }

  /** Closes the socket and drops every subscription. */
  close(): void {
    this.closedByUs = true;
    this.subs.clear();
    const ws = this.socket;
    this.socket = undefined;
    this.connected = false;
    ws?.close();
  }
}

const clients = new WeakMap<Client, LiveClient>();

/** The LiveQuery connection of a client (made on first use). */
export function liveClient(client: Client): LiveClient {
  let live = clients.get(client);
  if (!live) {
    live = new LiveClient(client);
    clients.set(client, live);
  }
  return live;
}
