// files: uploads bytes (or text) and answers the stored file (`{__type:"File", name, url}`), to
// put in a File field. The server picks the final name (a prefix is added to yours).

import { Client, clientOf } from "./client.js";
import { type ParseFile, utf8, utf8Decode } from "./codec.js";
import { ParseError, RuntimeCode } from "./errors.js";
import type { HttpResponse } from "./http.js";

export async function uploadFile(name: string, data: Uint8Array | string, contentType?: string, options: { client?: Client } = {}): Promise<ParseFile> {
  const raw = typeof data === "string" ? utf8(data) : data;
  const type = contentType ?? (typeof data === "string" ? "text/plain; charset=utf-8" : "application/octet-stream");
  // Uploads are not covered by the server's request-id replay: a retry could store the file twice.
  const answer = await clientOf(options.client).request<{ name: string; url: string }>("POST", `/files/${encodeURIComponent(name)}`, { raw, contentType: type, retry: false });
  return { __type: "File", name: answer.name, url: answer.url };
}

/** Downloads a file's bytes through the client's transport (a ParseError when the server
 * answers an error status, with CONNECTION_FAILED when no answer came). */
export async function downloadFile(file: ParseFile, options: { client?: Client } = {}): Promise<Uint8Array> {
  if (!file.url) throw new TypeError("the file has no url");
  let res: HttpResponse;
  try {
    res = await clientOf(options.client).http.fetch(file.url, { method: "GET", headers: {} });
  } catch (e) {
    throw ParseError.network(e);
  }
  if (res.status < 200 || res.status >= 300) throw new ParseError(RuntimeCode.OTHER_CAUSE, `downloading ${file.name} answered ${res.status}`, { status: res.status });
  if (!res.arrayBuffer) throw new ParseError(RuntimeCode.OTHER_CAUSE, "the transport's answers have no arrayBuffer(): downloadFile needs it");
  return new Uint8Array(await res.arrayBuffer());
}

/** Downloads a text file and decodes it as UTF-8. */
export async function downloadText(file: ParseFile, options: { client?: Client } = {}): Promise<string> {
  return utf8Decode(await downloadFile(file, options));
}
