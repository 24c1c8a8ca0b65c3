/**
 * `p2pchat connect`: the chat client.
 *
 * @module
 */
import type { Command } from "../cli/command.ts";

const flags = {} as const;

/** The `connect` subcommand. */
export const connectCommand: Command<typeof flags> = {
  name: "connect",
  summary: "join a directory and chat (not yet implemented)",
  flags,
  example: "p2pchat connect --name alice",
  run(): Promise<number> {
    console.error("p2pchat: connect is not yet implemented");
    return Promise.resolve(1);
  },
};
