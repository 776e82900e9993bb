// Typed functions whose schemas' text needs care: a pretty-printed schema (raw newlines between
// its tokens), a description holding an escaped newline and quote, a property name with a quote
// and a backslash; and `broken`, whose result schema is not JSON (refused at deploy, naming the
// function). Used by Hearth's end-to-end tests (tests/e2e/functions-deploy.test.js).
import { define, defineTyped, Request, Response, JSON } from "../assembly/index";
export { hearth_abi_v1, hearth_alloc, hearth_handle } from "../assembly/index";

defineTyped(
  "odd",
  `{
  "type": "object",
  "description": "line one\\nline \\"two\\"",
  "properties": {"say \\"hi\\" \\\\ back": {"type": ["string", "null"]}}
}`,
  "",
  (req: Request): Response => Response.ok(JSON.Value.String("odd")),
);

define("fine", (req: Request): Response => Response.ok(JSON.Value.String("fine")));
