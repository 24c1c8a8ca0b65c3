/**
 * `deno task compile [--target TRIPLE] [--output PATH]`: builds the standalone
 * binary with the least permissions p2pchat needs, declared once here.
 *
 * Read and write are not scoped to a path because the data directory is
 * chosen at run time (--home, $P2PCHAT_HOME, $XDG_CONFIG_HOME, ~), which a
 * compile-time flag cannot know.
 */
import { parseArgs } from "node:util";
import { v8FlagsArgument } from "../server/v8_flags.ts";

/** The permissions baked into the binary. */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=HOME,USERPROFILE,XDG_CONFIG_HOME,P2PCHAT_HOME,P2PCHAT_SERVER,NO_COLOR,TERM",
  // Own interface addresses, announced so that peers on the same network connect directly.
  "--allow-sys=networkInterfaces",
];

const { values } = parseArgs({
  args: Deno.args,
  options: { target: { type: "string" }, output: { type: "string", default: "dist/p2pchat" } },
});
const args = ["compile", ...PERMISSIONS, v8FlagsArgument(), "--output", values.output!];
if (values.target) args.push("--target", values.target);
args.push(new URL("../main.ts", import.meta.url).pathname);
const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
Deno.exit(code);
