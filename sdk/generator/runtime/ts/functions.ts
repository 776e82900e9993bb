// functions: calls a cloud function. The generated `functions.ts` of the package has one typed
// method per function whose deployment declares its parameter and result types; `run` calls any
// function untyped. Calls are not retried: a function may not be safe to run twice.

import { Client, clientOf } from "./client.js";
import { decode, encode } from "./codec.js";

export async function run<T = unknown>(name: string, params: object = {}, options: { client?: Client } = {}): Promise<T> {
  const answer = await clientOf(options.client).request<{ result: unknown }>("POST", `/functions/${encodeURIComponent(name)}`, { body: encode(params), retry: false });
  return decode(answer.result) as T;
}
