/**
 * `p2pchat store copy`: moves a single-process directory's name bindings
 * (its `directory.sqlite`, or the `names.sqlite` of before), with the
 * prekey kept with each, into the Redis store that several instances share.
 * Idempotent: a binding already there with the same key is counted, not
 * rewritten; one there with another key is a conflict and is left alone
 * (binding_rules.ts decides, as for a registration).
 *
 * @module
 */
import { type Command, UsageError } from "../cli/mod.ts";
import { formatDuration, parseDuration } from "../cli/mod.ts";
import { toBase64 } from "../crypto/mod.ts";
import { errorMessage } from "../errors/mod.ts";
import { StoreError } from "./state/mod.ts";
import { readSqliteBindings } from "./state/mod.ts";
import { DEFAULT_PREFIX, openRedis, RedisBindings } from "./state/mod.ts";
import { DEFAULT_NAME_TTL_MS } from "./state/mod.ts";
import { parseStore } from "./serve_options.ts";

/** `store copy`'s flags, declared once: parsing and help come from this. */
export const storeCopyFlags = {
  from: {
    type: "string",
    value: "sqlite:PATH",
    description: "the single-process store to copy from (its directory.sqlite)",
  },
  to: {
    type: "string",
    value: "URL",
    description: "the Redis store to copy into: redis://[user:pass@]HOST:PORT[/DB] or rediss://…",
  },
  "name-ttl": {
    type: "string",
    value: "DURATION",
    default: formatDuration(DEFAULT_NAME_TTL_MS),
    description: "the directory's --name-ttl: bindings unused for longer are not copied",
  },
} as const;

/** What one copy did, by outcome. */
export type CopyCounts = { copied: number; present: number; expired: number; conflict: string[] };

/** The `store copy` subcommand. */
export const storeCopyCommand: Command<typeof storeCopyFlags> = {
  name: "store copy",
  summary: "copy the name bindings of a single-process directory into Redis",
  flags: storeCopyFlags,
  example:
    "p2pchat store copy --from sqlite:/var/lib/p2pchat/directory.sqlite --to redis://10.0.0.5:6379",
  async run(values): Promise<number> {
    if (!values.from?.startsWith("sqlite:") || values.from.length === "sqlite:".length) {
      throw new UsageError(
        `--from must be sqlite:PATH (the directory's directory.sqlite), got "${values.from ?? ""}"`,
      );
    }
    const path = values.from.slice("sqlite:".length);
    const to = parseStore("--to", values.to ?? "");
    if (to.kind !== "redis") throw new UsageError("--to must be a redis:// or rediss:// URL");
    const nameTtlMs = parseDuration("name-ttl", values["name-ttl"]);
    let bindings;
    try {
      bindings = readSqliteBindings(path);
    } catch (error) {
      throw new StoreError(
        "store-unreachable",
        `Cannot read the bindings in ${path}: ${
          errorMessage(error)
        }; give the directory's directory.sqlite`,
      );
    }
    const redis = await openRedis(to.url, { flag: "--to" });
    const counts: CopyCounts = { copied: 0, present: 0, expired: 0, conflict: [] };
    try {
      const target = new RedisBindings(redis, {
        prefix: DEFAULT_PREFIX,
        nameTtlMs,
        clock: Date.now,
      });
      for (const binding of bindings) {
        const outcome = await target.import({
          name: binding.name,
          publicKey: toBase64(binding.publicKey),
          lastUsed: binding.lastUsed,
          prekey: binding.prekey,
        });
        if (outcome === "conflict") counts.conflict.push(binding.name);
        else counts[outcome]++;
      }
    } finally {
      redis.disconnect();
    }
    console.log(
      `copied ${counts.copied}, already there ${counts.present}, expired (not copied) ${counts.expired}, conflicts ${counts.conflict.length}`,
    );
    if (counts.conflict.length > 0) {
      console.error(
        `p2pchat: these names are bound to other keys in Redis already and were left alone: ${
          counts.conflict.join(", ")
        }`,
      );
      return 1;
    }
    return 0;
  },
};
