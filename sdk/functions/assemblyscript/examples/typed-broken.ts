// A typed function whose result schema is not JSON: the module still starts and answers its
// calls (the text is only read when the manifest is asked for), and a deploy of it is refused
// naming the function. Used by Hearth's end-to-end tests (tests/e2e/functions-deploy.test.js).
import { define, defineTyped, Request, Response, JSON } from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

defineTyped("broken", "", `{"type":\n "string"`, (req: Request): Response => Response.ok(JSON.Value.String("broken")));

define("fine", (req: Request): Response => Response.ok(JSON.Value.String("fine")));
