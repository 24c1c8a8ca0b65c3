/**
 * Runs `main.ts` as a real subprocess, as a user would, for black-box tests.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Absolute path of main.ts. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** What a finished run printed and how it exited. */
export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs `p2pchat ARGS` to completion with an optional environment. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
