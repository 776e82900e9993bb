// An example app of push from cloud code: `notify` sends a push to a channel, as
// `POST /parse/push` would (master rights: the app must allow functions the master key), and
// answers the push's `_PushStatus` id. Used by Hearth's end-to-end tests (tests/e2e/push.test.js).
import { define, Request, Response, JSON, push } from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

// notify({channel, alert}): a push to the installations on `channel`.
define("notify", (req: Request): Response => {
  const channel = req.params.getString("channel");
  const alert = req.params.getString("alert");
  if (channel == null || alert == null) return Response.error("channel and alert are required", 142);
  const channels = new JSON.Arr();
  channels.push(JSON.Value.String(channel.valueOf()));
  const data = new JSON.Obj();
  data.set("alert", alert.valueOf());
  const body = new JSON.Obj();
  body.set("channels", channels);
  body.set("data", data);
  const r = push(body);
  if (!r.ok) return Response.error(r.message, r.code);
  return Response.ok(r.obj);
});
