/**
 * `p2pchat id`: prints the user's own fingerprint, creating the identity on first use.
 *
 * @module
 */
import { join } from "node:path";
import type { Command } from "../cli/mod.ts";
import { formatFingerprint } from "../crypto/mod.ts";
import { IDENTITY_FILE, loadOrCreateIdentity } from "../storage/mod.ts";
import { homeEnvFromProcess, resolveDataDir } from "../storage/mod.ts";
import { identityCreatedWords } from "./terminal/mod.ts";

/** `id`'s flags. */
export const idFlags = {
  home: {
    type: "string",
    value: "DIR",
    description: "data directory (else $P2PCHAT_HOME, $XDG_CONFIG_HOME/p2pchat, ~/.config/p2pchat)",
  },
} as const;

/** The `id` subcommand. */
export const idCommand: Command<typeof idFlags> = {
  name: "id",
  summary: "print your identity fingerprint (creates the identity on first use)",
  flags: idFlags,
  example: "p2pchat id --home ~/.config/p2pchat",
  async run(values): Promise<number> {
    const home = resolveDataDir(values.home, homeEnvFromProcess());
    const path = join(home, IDENTITY_FILE);
    const { identity, created } = await loadOrCreateIdentity(path);
    if (created) console.error(identityCreatedWords(path));
    console.log(formatFingerprint(identity.public.fingerprint));
    return 0;
  },
};
