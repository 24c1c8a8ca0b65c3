/**
 * Where p2pchat keeps its files: `--home DIR`, else `$P2PCHAT_HOME`, else
 * `$XDG_CONFIG_HOME/p2pchat`, else `~/.config/p2pchat`.
 *
 * @module
 */
import { join } from "node:path";

/** The environment variables the data directory depends on. */
export type HomeEnv = {
  P2PCHAT_HOME?: string;
  XDG_CONFIG_HOME?: string;
  HOME?: string;
  USERPROFILE?: string;
};

/** Reads the variables above from the process environment. */
export function homeEnvFromProcess(): HomeEnv {
  const get = (name: string): string | undefined => Deno.env.get(name) || undefined;
  return {
    P2PCHAT_HOME: get("P2PCHAT_HOME"),
    XDG_CONFIG_HOME: get("XDG_CONFIG_HOME"),
    HOME: get("HOME"),
    USERPROFILE: get("USERPROFILE"),
  };
}

/** Resolves the data directory; throws when no rule applies. */
export function resolveDataDir(flag: string | undefined, env: HomeEnv): string {
  if (flag) return flag;
  if (env.P2PCHAT_HOME) return env.P2PCHAT_HOME;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "p2pchat");
  const home = env.HOME ?? env.USERPROFILE;
  if (home) return join(home, ".config", "p2pchat");
  throw new Error("Cannot find a data directory: pass --home DIR or set P2PCHAT_HOME");
}
