// An example app: functions, triggers that change and refuse writes, data calls with the
// caller's rights, and a function that fails. Used by Hearth's end-to-end tests.
import {
  define, beforeSave, afterSave, beforeDelete, afterDelete, job,
  Request, Response, JSON, number, query, save, get, log, config, secret, run, httpFetch, message,
} from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

define("hello", (req: Request): Response => {
  const name = req.params.getString("name");
  log("hello called");
  return Response.ok(JSON.Value.String("Hello, " + (name == null ? "world" : name.valueOf()) + "!"));
});

define("add", (req: Request): Response => {
  const a = number(req.params, "a");
  const b = number(req.params, "b");
  if (isNaN(a) || isNaN(b)) return Response.error("a and b must be numbers", 142);
  return Response.ok(JSON.Value.Float(a + b));
});

define("fail", (req: Request): Response => Response.error("this function always fails"));

define("whoami", (req: Request): Response => {
  const o = new JSON.Obj();
  o.set("user", req.userId);
  o.set("master", req.master);
  o.set("installationId", req.installationId);
  return Response.ok(o);
});

// Reads a class with the caller's rights: what the caller may not read, it does not see.
define("countNotes", (req: Request): Response => {
  const options = new JSON.Obj();
  options.set("count", 1);
  options.set("limit", 0);
  const r = query("Note", new JSON.Obj(), options, req.params.getBool("master") != null);
  if (!r.ok) return Response.error(r.message, r.code);
  const count = r.obj.getInteger("count");
  return Response.ok(JSON.Value.Integer(count == null ? -1 : count.valueOf()));
});

// Saves with the caller's rights (refused where the caller is refused).
define("addNote", (req: Request): Response => {
  const o = new JSON.Obj();
  const text = req.params.getString("text");
  o.set("text", text == null ? "" : text.valueOf());
  const r = save("Note", o);
  if (!r.ok) return Response.error(r.message, r.code);
  return Response.ok(r.value);
});

define("getNote", (req: Request): Response => {
  const id = req.params.getString("id");
  const r = get("Note", id == null ? "" : id.valueOf());
  if (!r.ok) return Response.error(r.message, r.code);
  return Response.ok(r.value);
});

define("configValue", (req: Request): Response => {
  const r = config();
  if (!r.ok) return Response.error(r.message, r.code);
  const v = r.obj.get("greeting");
  return Response.ok(v == null ? JSON.Value.Null() : v);
});

define("secretValue", (req: Request): Response => secret("apiToken").ok ? Response.ok(secret("apiToken").value) : Response.error("no secret"));

define("callHello", (req: Request): Response => {
  const p = new JSON.Obj();
  p.set("name", "nested");
  const r = run("hello", p);
  return r.ok ? Response.ok(r.value) : Response.error(r.message, r.code);
});

define("fetch", (req: Request): Response => {
  const url = req.params.getString("url");
  const r = httpFetch("GET", url == null ? "" : url.valueOf());
  return r.ok ? Response.ok(r.value) : Response.error(r.message, r.code);
});

// beforeSave: names are trimmed and capitalised; an empty name is refused; `score` is clamped.
beforeSave("Player", (req: Request): Response => {
  const o = req.object;
  const name = o.getString("name");
  if (name == null || name.valueOf().trim().length == 0) return Response.error("a player needs a name", 142);
  const n = name.valueOf().trim();
  o.set("name", n.charAt(0).toUpperCase() + n.substring(1));
  if (number(o, "score") > 1000) o.set("score", 1000);
  return Response.object(o);
});

// afterSave: counts saves of players in another class.
afterSave("Player", (req: Request): Response => {
  const o = new JSON.Obj();
  o.set("player", req.object.getString("objectId")!.valueOf());
  o.set("name", req.object.getString("name")!.valueOf());
  save("PlayerLog", o, "", true);
  return Response.nothing();
});

// beforeDelete: protected players cannot be deleted.
beforeDelete("Player", (req: Request): Response => {
  const p = req.object.getBool("protected");
  if (p != null && p.valueOf()) return Response.error("protected players cannot be deleted", 142);
  return Response.nothing();
});

afterDelete("Player", (req: Request): Response => {
  const o = new JSON.Obj();
  o.set("deleted", req.object.getString("objectId")!.valueOf());
  save("PlayerLog", o, "", true);
  return Response.nothing();
});

job("tidy", (req: Request): Response => {
  log("tidying");
  return Response.ok(JSON.Value.String("tidied"));
});

// A job that reports its progress, then waits (at most a while) until a `Release` object with its
// params' `key` exists, and records its run.
job("steps", (req: Request): Response => {
  const key = req.params.getString("key");
  message("halfway", 0.5);
  const where = new JSON.Obj();
  where.set("key", key == null ? "" : key.valueOf());
  let released = false;
  for (let i = 0; i < 20000 && !released; i++) {
    released = query("Release", where, null, true).results.length > 0;
  }
  if (!released) return Response.error("never released", 142);
  const o = new JSON.Obj();
  o.set("key", key == null ? "" : key.valueOf());
  o.set("jobId", req.jobId);
  save("JobRun", o, "", true);
  return Response.ok(JSON.Value.String("all steps done"));
});

job("broken", (req: Request): Response => {
  return Response.error("the job broke", 142);
});

// Run by schedules: records each tick it runs for.
job("tick", (req: Request): Response => {
  const o = new JSON.Obj();
  o.set("tick", req.scheduledFor);
  const tag = req.params.getString("tag");
  o.set("tag", tag == null ? "" : tag.valueOf());
  o.set("jobId", req.jobId);
  save("Tick", o, "", true);
  return Response.nothing();
});
