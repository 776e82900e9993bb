// files: uploads bytes (or text) and answers the stored file (`{__type:"File", name, url}`), to
// put in a File field. The server picks the final name (a prefix is added to yours).

import { Client, clientOf } from "./client.js";
import { type ParseFile, utf8 } from "./codec.js";

export async function uploadFile(name: string, data: Uint8Array | string, contentType?: string, options: { client?: Client } = {}): Promise<ParseFile> {
  const raw = typeof data === "string" ? utf8(data) : data;
  const type = contentType ?? (typeof data === "string" ? "text/plain; charset=utf-8" : "application/octet-stream");
  // Uploads are not covered by the server's request-id replay: a retry could store the file twice.
  const answer = await clientOf(options.client).request<{ name: string; url: string }>("POST", `/files/${encodeURIComponent(name)}`, { raw, contentType: type, retry: false });
  return { __type: "File", name: answer.name, url: answer.url };
}

/** Downloads a file's bytes through the client's transport. */
export async function downloadFile(file: ParseFile, options: { client?: Client } = {}): Promise<string> {
  if (!file.url) throw new TypeError("the file has no url");
  const res = await clientOf(options.client).http.fetch(file.url, { method: "GET", headers: {} });
  return res.text();
}
