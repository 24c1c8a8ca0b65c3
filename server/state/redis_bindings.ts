/**
 * Name bindings in Redis, decided by binding_rules.ts exactly as the SQLite
 * registry decides them: read the facts (SNAPSHOT), decide in TypeScript
 * with the injected clock, then write with a compare-and-set (REGISTER,
 * IMPORT) that answers "retry" when another instance changed the facts in
 * between. Redis key expiry only collects bindings a margin after the rules
 * let them lapse.
 *
 * @module
 */
import type { Redis } from "ioredis";
import {
  type Name,
  type NameKey,
  nameKey,
  nameSkeleton,
  type WirePrekey,
} from "../../protocol/mod.ts";
import {
  type BindingFacts,
  decideImport,
  decideRegistration,
  GARBAGE_MARGIN_MS,
  type ImportDecision,
  isLive,
  lapsesAt,
  legacyName,
  type Lookalike,
  prekeyChange,
  type RegistrationDecision,
} from "./binding_rules.ts";
import type { BoundName } from "./registry.ts";
import type { StoredPrekey } from "./name_store.ts";
import { IMPORT, REGISTER, SNAPSHOT, TOUCH } from "./redis_scripts.ts";
import { Buffer } from "node:buffer";
import { fromBase64 } from "../../crypto/mod.ts";
import { encodeEntry } from "../../transparency/mod.ts";
import { bindEvents, type LogHead } from "./log_rules.ts";
import { formatHead, parseHead } from "./redis_log_events.ts";

/** Attempts at a compare-and-set before a registration gives up (the name is that contested). */
export const MAX_CLAIM_ATTEMPTS = 8;
/** Bindings refreshed per TOUCH script, so that one call never holds Redis for long. */
const TOUCH_BATCH = 500;

/** Where the bindings live and by which rules. */
export type RedisBindingOptions = {
  readonly prefix: string;
  readonly nameTtlMs: number;
  readonly clock: () => number;
};

/** A session's claim on a name: a registration, or its re-assertion after the store lost data. */
export type Claim = {
  readonly name: Name;
  /** The session's identity key (base64). */
  readonly key: string;
  readonly prekey?: WirePrekey;
  /** The presence's user entry as stored (redis_entries.ts). */
  readonly entry: string;
  readonly instance: string;
  readonly session: string;
  readonly mode: "register" | "reassert";
};

/** How a claim ended. */
export type ClaimOutcome =
  | { readonly kind: "refused"; readonly decision: Exclude<RegistrationDecision, { kind: "bind" }> }
  /** Re-asserting: another session holds the name now. */
  | { readonly kind: "replaced" }
  /**
   * Online; the presence it replaced, if any ('' when none), the binding's
   * last use, and the log's length after the entries the claim logged (0: none).
   */
  | {
    readonly kind: "ok";
    readonly oldInstance: string;
    readonly oldSession: string;
    readonly lastUsed: number;
    readonly logged: number;
  };

/** The facts a decision about a name is made on, with their version (for the compare-and-set). */
export type NameFacts = {
  readonly version: string;
  readonly current?: BindingFacts;
  readonly lookalikes: Lookalike[];
  /** What the key-transparency log last says of the name. */
  readonly head?: LogHead;
};

type Script = (...args: (string | number | Buffer)[]) => Promise<unknown>;

const SCRIPTS = [
  ["p2pSnapshot", SNAPSHOT, 0],
  ["p2pRegister", REGISTER, 5],
  ["p2pImport", IMPORT, 2],
  ["p2pTouch", TOUCH, 0],
] as const;

/**
 * The last use of a binding written before bindings kept one: its Redis
 * expiry then ran `ttlMs` from its last use.
 */
function legacyLastUsed(ttlLeft: number, now: number, ttlMs: number): number {
  return ttlLeft > 0 ? now - ttlMs + ttlLeft : now;
}

/** Bindings in Redis. */
export class RedisBindings {
  readonly #redis: Redis;
  readonly #options: RedisBindingOptions;

  /**
   * Bindings in `redis` under `options.prefix`.
   * @internal
   */
  constructor(redis: Redis, options: RedisBindingOptions) {
    this.#redis = redis;
    this.#options = options;
    for (const [name, lua, numberOfKeys] of SCRIPTS) {
      redis.defineCommand(name, { numberOfKeys, lua });
    }
  }

  /** How long Redis keeps a binding it was just told about, before collecting it. */
  get collectAfterMs(): number {
    return this.#options.nameTtlMs + GARBAGE_MARGIN_MS;
  }

  #script(name: (typeof SCRIPTS)[number][0]): Script {
    return (this.#redis as unknown as Record<string, Script>)[name].bind(this.#redis);
  }

  #key(kind: string, id: string): string {
    return `${this.#options.prefix}${kind}:${id}`;
  }

  /**
   * The facts of `name`'s binding and of its look-alikes, what the log
   * says of it, and their version.
   * @internal
   */
  async snapshot(folded: NameKey, name: Name, now: number): Promise<NameFacts> {
    const reply = await this.#script("p2pSnapshot")(
      this.#options.prefix,
      folded,
      nameSkeleton(name),
    ) as string[];
    const facts: Lookalike[] = [];
    for (let i = 2; i + 5 < reply.length; i += 6) {
      const [other, spelled, key, used, online, ttlLeft] = reply.slice(i, i + 6);
      if (spelled === "") continue; // indexed, but gone
      facts.push({
        nameKey: other as NameKey,
        name: spelled,
        key,
        lastUsed: used === ""
          ? legacyLastUsed(Number(ttlLeft), now, this.#options.nameTtlMs)
          : Number(used),
        online: online === "1",
      });
    }
    const current = facts.find((f) => f.nameKey === folded);
    return {
      version: reply[0],
      current,
      lookalikes: facts.filter((f) => f.nameKey !== folded),
      head: parseHead(reply[1]),
    };
  }

  /** The log entries (as bytes) and head a fresh binding makes, given the facts (log_rules.ts). */
  #logged(folded: NameKey, key: string, facts: NameFacts, now: number): (string | Buffer)[] {
    const { entries, head } = bindEvents(folded, fromBase64(key), facts.head, now);
    return [formatHead(head), ...entries.map((entry) => Buffer.from(encodeEntry(entry)))];
  }

  /**
   * Decides `claim` by the rules and, if it may have the name, writes the
   * binding, its prekey and the presence atomically, retrying when another
   * instance changed the facts meanwhile. Redis failures are thrown as they come.
   */
  async claim(claim: Claim): Promise<ClaimOutcome> {
    const folded = nameKey(claim.name);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const now = this.#options.clock();
      const facts = await this.snapshot(folded, claim.name, now);
      const decision = decideRegistration({
        name: claim.name,
        key: claim.key,
        now,
        ttlMs: this.#options.nameTtlMs,
        current: facts.current,
        lookalikes: () => facts.lookalikes,
      });
      if (decision.kind !== "bind") return { kind: "refused", decision };
      // Redis does not compare the prekey kept: a registration that carries one rewrites it.
      const change = prekeyChange(decision, {
        given: claim.prekey !== undefined,
        sameAsKept: false,
      });
      const stored: StoredPrekey | undefined = claim.prekey && {
        key: claim.key,
        prekey: claim.prekey,
      };
      // A name new to its key is logged, in the script that binds it (log_rules.ts).
      const [head, ...entries] = decision.fresh
        ? this.#logged(folded, claim.key, facts, now)
        : [""];
      const result = await this.#script("p2pRegister")(
        this.#key("b", folded),
        this.#key("o", folded),
        `${this.#options.prefix}online`,
        this.#key("iu", claim.instance),
        this.#key("pk", folded),
        this.#options.prefix,
        folded,
        nameSkeleton(claim.name),
        facts.version,
        decision.write ? "1" : "0",
        claim.name,
        claim.key,
        decision.lastUsed,
        this.collectAfterMs,
        change,
        stored ? JSON.stringify(stored) : "",
        claim.entry,
        claim.instance,
        claim.session,
        claim.mode,
        head,
        lapsesAt(decision.lastUsed, this.#options.nameTtlMs),
        ...entries,
      ) as string[];
      if (result[0] === "retry") continue;
      if (result[0] === "replaced") return { kind: "replaced" };
      return {
        kind: "ok",
        oldInstance: result[1],
        oldSession: result[2],
        lastUsed: decision.lastUsed,
        logged: Number(result[3] || 0),
      };
    }
    throw new Error(`the name ${claim.name} changed ${MAX_CLAIM_ATTEMPTS} times while binding it`);
  }

  /** The facts of one binding, read in one transaction, and the prekey kept with it. */
  async #read(
    folded: NameKey,
  ): Promise<{ facts?: BindingFacts; prekey?: StoredPrekey }> {
    const replies = await this.#redis.multi()
      .hmget(this.#key("b", folded), "n", "k", "u")
      .exists(this.#key("o", folded))
      .pttl(this.#key("b", folded))
      .get(this.#key("pk", folded))
      .exec();
    if (!replies) throw new Error("the store aborted a read");
    for (const [error] of replies) if (error) throw error;
    const [spelled, key, used] = replies[0][1] as (string | null)[];
    const online = replies[1][1] as number;
    const ttlLeft = replies[2][1] as number;
    const prekey = replies[3][1] as string | null;
    if (!spelled) return {};
    const now = this.#options.clock();
    return {
      facts: {
        name: spelled,
        key: key ?? "",
        lastUsed: used ? Number(used) : legacyLastUsed(ttlLeft, now, this.#options.nameTtlMs),
        online: online === 1,
      },
      prekey: prekey ? JSON.parse(prekey) : undefined,
    };
  }

  /** The live binding of `name`, with the prekey kept with it if it is the binding key's. */
  async binding(name: Name): Promise<BoundName | undefined> {
    const { facts, prekey } = await this.#read(nameKey(name));
    if (!facts || !isLive(facts, this.#options.clock(), this.#options.nameTtlMs)) return undefined;
    return prekey && prekey.key === facts.key
      ? { name: facts.name, key: facts.key, prekey: prekey.prekey }
      : { name: facts.name, key: facts.key };
  }

  /** The name a legacy spelling `text` stands for, if its binding is live and `key`'s. */
  async legacyName(text: string, key: string): Promise<Name | undefined> {
    const { facts } = await this.#read(text.toLowerCase() as NameKey);
    return legacyName(text, facts, {
      key,
      now: this.#options.clock(),
      ttlMs: this.#options.nameTtlMs,
    });
  }

  /** Rewrites the last use of these bindings, where each is still its key's; returns how many. */
  async touch(bindings: readonly (readonly [NameKey, string])[]): Promise<number> {
    let n = 0;
    const now = this.#options.clock();
    for (let i = 0; i < bindings.length; i += TOUCH_BATCH) {
      const batch = bindings.slice(i, i + TOUCH_BATCH).flat();
      n += await this.#script("p2pTouch")(
        this.#options.prefix,
        now,
        this.collectAfterMs,
        lapsesAt(now, this.#options.nameTtlMs),
        ...batch,
      ) as number;
    }
    return n;
  }

  /**
   * Copies one binding (`p2pchat store copy`), keeping its last use and the
   * prekey kept with it; never replaces a live binding (binding_rules.ts).
   */
  async import(
    binding: { name: Name; publicKey: string; lastUsed: number; prekey?: StoredPrekey },
  ): Promise<ImportDecision> {
    const folded = nameKey(binding.name);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const now = this.#options.clock();
      const facts = await this.snapshot(folded, binding.name, now);
      const decision = decideImport({
        key: binding.publicKey,
        lastUsed: binding.lastUsed,
        current: facts.current,
        now,
        ttlMs: this.#options.nameTtlMs,
      });
      if (decision !== "copied") return decision;
      const left = lapsesAt(binding.lastUsed, this.#options.nameTtlMs) - now;
      const prekey = binding.prekey?.key === binding.publicKey ? binding.prekey : undefined;
      // A copied binding is new to this store's log: logged as a bind (log_rules.ts); one that
      // holds no key binds nobody, and is not.
      const [head, ...entries] = binding.publicKey === ""
        ? [""]
        : this.#logged(folded, binding.publicKey, facts, now);
      const result = await this.#script("p2pImport")(
        this.#key("b", folded),
        this.#key("pk", folded),
        this.#options.prefix,
        folded,
        nameSkeleton(binding.name),
        facts.version,
        binding.name,
        binding.publicKey,
        binding.lastUsed,
        Math.ceil(left) + GARBAGE_MARGIN_MS,
        prekey ? JSON.stringify(prekey) : "",
        head,
        lapsesAt(binding.lastUsed, this.#options.nameTtlMs),
        ...entries,
      );
      if (result === "copied") return "copied";
    }
    throw new Error(
      `the name ${binding.name} changed ${MAX_CLAIM_ATTEMPTS} times while copying it`,
    );
  }
}
