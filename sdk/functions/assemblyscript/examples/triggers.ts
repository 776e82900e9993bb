// An example app of the triggers around finds, logins and files: a find trigger that changes the
// query, one that changes what was found, a login that can be refused, logins, logouts and files
// recorded in log classes, uploads refused or renamed, files kept from deletion. Used by Hearth's
// end-to-end tests (tests/e2e/functions-triggers.test.js).
import {
  beforeFind, afterFind, beforeLogin, afterLogin, afterLogout,
  beforeSaveFile, afterSaveFile, beforeDeleteFile, afterDeleteFile,
  Request, Response, JSON, number, save,
} from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

// beforeFind: hidden books are never found (nor got by id), and a find gets 5 books at most.
beforeFind("Book", (req: Request): Response => {
  const notHidden = new JSON.Obj();
  notHidden.set("$ne", true);
  req.where.set("hidden", notHidden);
  const query = req.query;
  const limit = number(query, "limit");
  if (!req.isGet && (isNaN(limit) || limit > 5)) query.set("limit", 5);
  return Response.query(query);
});

// afterFind: drafts are left out, and what is found is marked as checked.
afterFind("Book", (req: Request): Response => {
  const kept = new Array<JSON.Value>();
  const found = req.objects;
  for (let i = 0; i < found.length; i++) {
    const book = <JSON.Obj>found[i];
    const draft = book.getBool("draft");
    if (draft != null && draft.valueOf()) continue;
    book.set("checked", true);
    kept.push(book);
  }
  return Response.objects(kept);
});

// beforeLogin: banned users cannot log in (no session is created for them).
beforeLogin((req: Request): Response => {
  const banned = req.object.getBool("banned");
  if (banned != null && banned.valueOf()) return Response.error("this account is banned");
  return Response.nothing();
});

function record(className: string, entry: JSON.Obj): Response {
  save(className, entry, "", true);
  return Response.nothing();
}

function text(o: JSON.Obj, key: string): string {
  const s = o.getString(key);
  return s == null ? "" : s.valueOf();
}

// afterLogin and afterLogout: recorded, with master rights (the login request has no user).
afterLogin((req: Request): Response => {
  const entry = new JSON.Obj();
  entry.set("user", req.userId);
  entry.set("username", text(req.object, "username"));
  return record("LoginLog", entry);
});

afterLogout((req: Request): Response => {
  const entry = new JSON.Obj();
  const user = req.object.getObj("user");
  entry.set("user", user == null ? "" : text(user, "objectId"));
  entry.set("session", text(req.object, "objectId"));
  return record("LogoutLog", entry);
});

// beforeSaveFile: no executables; `rename-x` is stored as `x`; every file gets metadata.
beforeSaveFile((req: Request): Response => {
  const file = req.file;
  const name = text(file, "name");
  if (name.endsWith(".exe")) return Response.error("executables are not allowed", 130);
  const changed = new JSON.Obj();
  if (name.startsWith("rename-")) changed.set("name", name.substring(7));
  const metadata = new JSON.Obj();
  metadata.set("checkedBy", "beforeSaveFile");
  const size = number(file, "size");
  if (!isNaN(size)) metadata.set("declaredSize", (<i64>size).toString());
  changed.set("metadata", metadata);
  return Response.file(changed);
});

afterSaveFile((req: Request): Response => {
  const entry = new JSON.Obj();
  entry.set("event", "saved");
  entry.set("name", text(req.file, "name"));
  entry.set("size", number(req.file, "size"));
  return record("FileLog", entry);
});

// beforeDeleteFile: files uploaded as `keep…` stay.
beforeDeleteFile((req: Request): Response => {
  const name = text(req.file, "name");
  if (name.indexOf("_keep") >= 0) return Response.error("this file is kept", 153);
  return Response.nothing();
});

afterDeleteFile((req: Request): Response => {
  const entry = new JSON.Obj();
  entry.set("event", "deleted");
  entry.set("name", text(req.file, "name"));
  return record("FileLog", entry);
});
