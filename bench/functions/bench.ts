// The benchmark's cloud code for Hearth (bench/functions/run.sh), with the AssemblyScript SDK:
// the same trivial function and trigger as parse-cloud.js gives Parse Server.
//
//   cd sdk/functions/assemblyscript && npx asc ../../../bench/functions/bench.ts \
//     -o bench.wasm -O3 --runtime stub
import { define, beforeSave, Request, Response, JSON } from "../../sdk/functions/assemblyscript/assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../../sdk/functions/assemblyscript/assembly/index";

// A function that does nothing: answers the constant 1 (`{"result":1}` for the client).
define("noop", (req: Request): Response => Response.ok(JSON.Value.Integer(1)));

// A trigger that sets one field on every save of BenchTriggered.
beforeSave("BenchTriggered", (req: Request): Response => {
  const o = req.object;
  o.set("triggered", true);
  return Response.object(o);
});
