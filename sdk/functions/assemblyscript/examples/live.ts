// An example app of the LiveQuery hooks: a device can be kept from connecting, subscriptions to
// messages see public ones only, and live events never carry a message's `secret`;
// a message that leaves a subscription because it was archived leaves without an event. Its
// manifest is checked by Hearth's end-to-end tests (tests/e2e/functions-deploy.test.js).
import { beforeConnect, beforeSubscribe, afterLiveQueryEvent, Request, Response, remove } from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

// beforeConnect: installations named `banned-…` may not connect.
beforeConnect((req: Request): Response => {
  if (req.installationId.startsWith("banned-")) return Response.error("this device may not connect", 119);
  return Response.nothing();
});

// beforeSubscribe: only logged-in users subscribe, and only to public messages.
beforeSubscribe("Message", (req: Request): Response => {
  if (req.userId.length == 0) return Response.error("log in to subscribe", 119);
  req.where.set("public", true);
  return Response.query(req.query);
});

// afterLiveQueryEvent: `secret` is never sent; archived messages leave quietly.
afterLiveQueryEvent("Message", (req: Request): Response => {
  const archived = req.object.getBool("archived");
  if (req.event == "leave" && archived != null && archived.valueOf()) return Response.event(false);
  const object = req.object;
  const original = req.original;
  if (!object.has("secret") && !original.has("secret")) return Response.nothing();
  remove(object, "secret");
  remove(original, "secret");
  return Response.event(true, object, original.keys.length > 0 ? original : null);
});
