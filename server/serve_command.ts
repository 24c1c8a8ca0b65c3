/**
 * `p2pchat serve`: the directory server.
 *
 * @module
 */
import type { Command } from "../cli/command.ts";

const flags = {} as const;

/** The `serve` subcommand. */
export const serveCommand: Command<typeof flags> = {
  name: "serve",
  summary: "run the directory server (not yet implemented)",
  flags,
  example: "p2pchat serve",
  run(): Promise<number> {
    console.error("p2pchat: serve is not yet implemented");
    return Promise.resolve(1);
  },
};
