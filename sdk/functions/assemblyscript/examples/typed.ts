// An example app of typed functions: `score` declares the shapes of its parameters and result
// (generated client SDKs type their calls of it), `hello` declares none. Used by Hearth's
// end-to-end tests (tests/e2e/functions-deploy.test.js and the generated SDKs' tests).
import { define, defineTyped, Request, Response, JSON, number } from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

defineTyped(
  "score",
  `{"type":"object","properties":{"playerId":{"type":"string"},"bonus":{"type":"number"}},"required":["playerId"],"additionalProperties":false}`,
  `{"type":"object","properties":{"playerId":{"type":"string"},"total":{"type":"number"}},"required":["playerId","total"]}`,
  (req: Request): Response => {
    const playerId = req.params.getString("playerId");
    if (playerId == null) return Response.error("playerId is required", 142);
    const bonus = number(req.params, "bonus");
    const o = new JSON.Obj();
    o.set("playerId", playerId.valueOf());
    o.set("total", 10 + (isNaN(bonus) ? 0 : bonus));
    return Response.ok(o);
  },
);

define("hello", (req: Request): Response => {
  const name = req.params.getString("name");
  return Response.ok(JSON.Value.String("Hello " + (name == null ? "world" : name.valueOf())));
});
