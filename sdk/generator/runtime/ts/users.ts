// users: sign up, log in, log out, the current user and `become` (adopt a session token). The
// current user and its session token are kept through the client's session store (memory by
// default; localStorage or AsyncStorage to survive restarts) and sent with every request.

import { Client, clientOf } from "./client.js";
import { type JSONObject, type ParseObject, type Saved, decodeObject, encodeFields } from "./codec.js";
import { ParseError, RuntimeCode } from "./errors.js";
import { type Create, Model, type Write } from "./objects.js";

/** What a user has beyond its class's fields. */
export interface UserExtras {
  sessionToken?: string;
}

export class UserModel<U extends ParseObject, F, R extends keyof U = never> extends Model<U, F, R> {
  /** Creates the user and logs it in. */
  async signUp(data: Create<U, R> & { username: string; password: string }, options: { client?: Client } = {}): Promise<Saved<U> & UserExtras> {
    const client = clientOf(options.client);
    const raw = await client.request<JSONObject>("POST", "/users", { body: encodeFields(data as JSONObject), sessionToken: "" });
    const { password: _, ...rest } = data as JSONObject;
    const stored = { ...(encodeFields(rest) as JSONObject), ...raw };
    await client.setStoredUser(stored);
    return decodeObject(stored, this.className) as unknown as Saved<U> & UserExtras;
  }

  /** Updates a user; when it is the current user, the stored copy gets the new values too. */
  override async update(objectId: string, data: Write<U>, options: { client?: Client } = {}): Promise<Saved<U>> {
    const updated = await super.update(objectId, data, options);
    const client = clientOf(options.client);
    const stored = await client.storedUser();
    if (stored && stored.objectId === objectId) {
      // What was sent (operators' results as the server answered them), never the password; the
      // session token only as the server answered it (a password change answers a new one).
      const { password: _, sessionToken, ...fields } = updated as unknown as JSONObject;
      const session = typeof sessionToken === "string" ? { sessionToken } : {};
      await client.setStoredUser({ ...stored, ...encodeFields(fields), ...session, updatedAt: updated.updatedAt?.toISOString() });
    }
    return updated;
  }

  /** Logs in; the user becomes the current user. */
  async logIn(username: string, password: string, options: { client?: Client } = {}): Promise<Saved<U> & UserExtras> {
    const client = clientOf(options.client);
    const raw = await client.request<JSONObject>("POST", "/login", { body: { username, password }, sessionToken: "" });
    await client.setStoredUser(raw);
    return decodeObject(raw, this.className) as unknown as Saved<U> & UserExtras;
  }

  /** Adopts a session token (from a server-side login, a deep link): fetches its user. */
  async become(sessionToken: string, options: { client?: Client } = {}): Promise<Saved<U> & UserExtras> {
    const client = clientOf(options.client);
    const raw = await client.request<JSONObject>("GET", "/users/me", { sessionToken });
    const stored = { ...raw, sessionToken };
    await client.setStoredUser(stored);
    return decodeObject(stored, this.className) as unknown as Saved<U> & UserExtras;
  }

  /** The logged-in user as last stored (no request), or null. */
  async current(options: { client?: Client } = {}): Promise<(Saved<U> & UserExtras) | null> {
    const stored = await clientOf(options.client).storedUser();
    return stored ? (decodeObject(stored, this.className) as unknown as Saved<U> & UserExtras) : null;
  }

  /** Ends the session on the server and forgets the current user (even when the session was
   * already invalid there). */
  async logOut(options: { client?: Client } = {}): Promise<void> {
    const client = clientOf(options.client);
    const token = await client.sessionToken();
    try {
      if (token) await client.request("POST", "/logout", { sessionToken: token, retry: false });
    } catch (e) {
      if (!(e instanceof ParseError && e.code === RuntimeCode.INVALID_SESSION_TOKEN)) throw e;
    } finally {
      await client.setStoredUser(null);
    }
  }
}

/** The handle of the user class: a model with sign-up, log-in and the current user. */
export function userModel<U extends ParseObject, R extends keyof U = never>() {
  return <F>(className: string, fields: F): UserModel<U, F, R> => new UserModel<U, F, R>(className, fields);
}
