/**
 * The client's watch on the directory's key-transparency log
 * (docs/protocol.md §15.6): the shell around trust/log_checks.ts. Every
 * checkpoint a reply carries is checked against the one kept for this
 * directory (fetching the consistency proof when it is newer) and kept; a
 * rollback or a fork saves both signed checkpoints as evidence and, for the
 * rest of the session, no key the directory shows is trusted. Every key a
 * reply shows gets a verdict the trust rules act on; at every registration
 * the client's own name must be its key's with the count it last saw, or
 * one more, else its history is read and any other key's bind is reported
 * (`own-name-rebound`). A peer's checkpoint (gossip) is reconciled the same
 * way, through this client's directory.
 *
 * @module
 */
import { fingerprintOf, fromBase64, type PublicIdentity, toBase64 } from "../../crypto/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { DirectoryUnavailableError, nameKey, type UserEntry } from "../../protocol/mod.ts";
import type { SignedCheckpoint } from "../../transparency/mod.ts";
import { ClientError, errorEvent, type EventSink, type SecurityWarning } from "../core/mod.ts";
import {
  checkBinding,
  type CheckpointFile,
  compareCheckpoints,
  directoryCheckpoint,
  type EvidenceKind,
  extendsLog,
  type KeyVerdict,
  ownHistory,
  ownName,
  type OwnVerdict,
  provenHistory,
  saveEvidence,
  unproven,
  type WireHistoryEntry,
} from "../trust/mod.ts";

/** Pages of a name's history read when checking your own name, at most. */
export const MAX_HISTORY_PAGES = 32;

/** A checkpoint that could not be checked now (the directory went away meanwhile). */
const unchecked = { ok: false, reason: "unproven-binding", detail: "unchecked" } as const;

/** What the watch asks of the directory in use (a DirectoryClient). */
export interface LogSource {
  /** The directory's proven identity. */
  readonly server: PublicIdentity;
  /** The latest checkpoint. */
  logCheckpoint(): Promise<string>;
  /** The consistency proof between two sizes. */
  logConsistency(from: number, to: number): Promise<string>;
  /** A name's entries from index `from` on, with inclusion proofs. */
  logHistory(
    name: string,
    from?: number,
  ): Promise<{ entries: WireHistoryEntry[]; more: boolean; checkpoint: string }>;
}

type CheckpointVerdict =
  | { ok: true; checkpoint: SignedCheckpoint }
  | Extract<KeyVerdict, { ok: false }>;

/** What the watch needs: the file it keeps checkpoints in, where evidence goes, who hears. */
export type LogWatchOptions = {
  readonly file: CheckpointFile;
  /** The data directory (evidence goes in its `evidence/`). */
  readonly home: string;
  readonly sink: EventSink;
  /** `host:port` of the directory in use, for evidence and warnings. */
  readonly server: () => string;
  readonly clock?: () => number;
};

/** One client's watch over one directory's log. */
export class LogWatch {
  readonly #o: LogWatchOptions;
  readonly #clock: () => number;
  /** The checks one after another: each reads and may replace the checkpoint kept. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The last checkpoint checked, as sent, and its verdict: replies under one checkpoint are checked once. */
  #last: { wire: string; verdict: CheckpointVerdict } | undefined;
  /** Once caught in a lie, the directory's keys are not trusted for the rest of the session. */
  #caught: Extract<KeyVerdict, { ok: false }> | undefined;

  /** A watch keeping checkpoints in `options.file`. */
  constructor(options: LogWatchOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** The checkpoint kept for the directory with key `server`, as it travels. */
  kept(server: PublicIdentity): string | undefined {
    return this.#o.file.get(server.fingerprint)?.checkpoint;
  }

  /** What to hand a peer of the directory `server` (gossip): its key and the checkpoint kept. */
  handOut(server: PublicIdentity): { directory: string; checkpoint: string } | undefined {
    const checkpoint = this.kept(server);
    return checkpoint === undefined ? undefined : { directory: toBase64(server.key), checkpoint };
  }

  /** Refuses a key the log does not prove, unless `verdict` is ok: a warning, and ClientError. */
  mustProve(name: string, got: string, verdict: KeyVerdict | undefined): void {
    if (verdict?.ok !== true) LogWatch.refuse(this.#o.sink, name, got, verdict);
  }

  /** Warns `sink` that `name`'s key `got` is not proven, and throws ClientError unproven-binding. */
  static refuse(
    sink: EventSink,
    name: string,
    got: string,
    verdict: KeyVerdict | undefined,
  ): never {
    sink.emit(unproven(name, got, verdict));
    throw new ClientError({ code: "unproven-binding", problem: "unproven-binding", peer: name });
  }

  /** Verdicts on `users`, shown under the checkpoint `wire` (each with its proof). */
  users(source: LogSource, users: readonly UserEntry[], wire?: string): Promise<KeyVerdict[]> {
    return this.#serial(async () => {
      const verdict = await this.#checkpoint(source, wire);
      if (!verdict.ok) return users.map(() => verdict);
      return users.map((user) => keyVerdict(verdict.checkpoint, user.name, user.key, user.proof));
    });
  }

  /** The verdict on one key shown for `name` (a prekey's owner, say). */
  async key(
    source: LogSource,
    shown: { name: string; key: string; proof?: string },
    wire?: string,
  ): Promise<KeyVerdict> {
    return (await this.users(source, [shown as UserEntry], wire))[0];
  }

  /**
   * Checks a registration's reply: the checkpoint, and that the log binds
   * your name to your key with no other key's bind since you last looked;
   * warns otherwise (the registration stands: the warning says what to do).
   * Never throws.
   */
  registered(
    source: LogSource,
    self: { name: string; key: Uint8Array },
    reply: { checkpoint?: string; proof?: string },
  ): Promise<void> {
    return this.#serial(async () => {
      const name = nameKey(self.name as never);
      const verdict = await this.#checkpoint(source, reply.checkpoint);
      if (!verdict.ok) return this.#warn(self.name, verdict);
      const binding = checkBinding(verdict.checkpoint, name, self.key, reply.proof);
      if ("problem" in binding) {
        // The log binds your name to another key now: it lied about you, whatever it told you.
        if (binding.problem === "other-key") {
          return this.#rebound(self, {
            kind: "rebound",
            key: binding.value?.key,
            how: "bound-to-other",
          });
        }
        return this.#warn(self.name, {
          ok: false,
          reason: "unproven-binding",
          detail: binding.problem,
        });
      }
      const kept = this.#o.file.get(source.server.fingerprint);
      let own: OwnVerdict = ownName(kept?.names[name], binding.count);
      if (own.kind === "read-history") {
        own = await this.#history(source, verdict.checkpoint, name, self.key, own);
      }
      if (own.kind === "rebound") this.#rebound(self, own);
      await this.#keep(source.server, { names: { [name]: binding.count } });
    }).catch((error) => {
      // The directory went away mid-check: the next registration checks again (nothing was
      // kept). The registration itself stands either way.
      if (!(error instanceof DirectoryUnavailableError)) this.#o.sink.emit(errorEvent(error));
    });
  }

  /**
   * A peer's checkpoint of the directory (`theirs`, from `peer`): if it is
   * this directory's, it must be reconciled with the one kept, through a
   * consistency proof from the directory; otherwise the directory showed
   * the two of you different logs (`directory-split-view`).
   */
  gossip(
    source: LogSource,
    peer: string,
    theirs: { directory: string; checkpoint: string },
  ): Promise<void> {
    // A failure is the directory going away mid-check (the next chat checks again), or a bug.
    return this.#serial(() => this.#gossip(source, peer, theirs)).catch((error) => {
      if (!(error instanceof DirectoryUnavailableError)) this.#o.sink.emit(errorEvent(error));
    });
  }

  async #gossip(
    source: LogSource,
    peer: string,
    theirs: { directory: string; checkpoint: string },
  ): Promise<void> {
    if (theirs.directory !== toBase64(source.server.key)) return; // Another directory's.
    const their = directoryCheckpoint(source.server, theirs.checkpoint);
    if (!their) return; // Not signed by it: the peer's word alone proves nothing of it.
    const current = await this.#checkpoint(source, await source.logCheckpoint());
    if (!current.ok) return this.#warn(peer, current);
    const ours = current.checkpoint;
    let fits = compareCheckpoints(ours, their) === "same";
    let answer = "the same size, another root";
    if (ours.size !== their.size) {
      const [small, large] = ours.size < their.size ? [ours, their] : [their, ours];
      try {
        fits = extendsLog(small, large, await source.logConsistency(small.size, large.size));
        answer = fits ? "" : "a consistency proof that does not hold";
      } catch (error) {
        if (error instanceof DirectoryUnavailableError) return; // Checked at the next chat.
        answer = `no consistency proof (${errorMessage(error)})`;
      }
    }
    if (fits) return;
    const caught = await this.#evidence(source, "directory-split-view", {
      kept: {
        checkpoint: this.kept(source.server)!,
        from: `this client, from ${this.#o.server()}`,
      },
      seen: { checkpoint: theirs.checkpoint, from: `${peer}, in a chat` },
      answer,
    }, { kept: ours.size, seen: their.size });
    this.#warn(peer, caught);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    // The queue only orders the work: its failures go to the caller of `run`.
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The checkpoint `wire`, checked against the one kept and kept when it extends it. */
  async #checkpoint(source: LogSource, wire: string | undefined): Promise<CheckpointVerdict> {
    if (this.#caught) return this.#caught;
    if (wire !== undefined && this.#last?.wire === wire) return this.#last.verdict;
    const seen = directoryCheckpoint(source.server, wire);
    if (!seen) {
      return {
        ok: false,
        reason: "unproven-binding",
        detail: wire === undefined ? "no-proof" : "bad-checkpoint",
      };
    }
    const keptWire = this.kept(source.server);
    const kept = directoryCheckpoint(source.server, keptWire) ?? undefined;
    let verdict: CheckpointVerdict = { ok: true, checkpoint: seen };
    const standing = compareCheckpoints(kept, seen);
    if (standing === "rollback" || standing === "fork" || standing === "newer") {
      let answer = standing === "rollback"
        ? "a smaller log than before"
        : "the same size, another root";
      let fits = false;
      if (standing === "newer") {
        try {
          fits = extendsLog(kept!, seen, await source.logConsistency(kept!.size, seen.size));
          answer = "a consistency proof that does not hold";
        } catch (error) {
          // A connection lost is no evidence: the checkpoint is just not trusted yet.
          if (error instanceof DirectoryUnavailableError) return unchecked;
          answer = `no consistency proof (${errorMessage(error)})`;
        }
      }
      if (!fits) {
        const kind = standing === "rollback" ? "directory-rollback" : "directory-fork";
        verdict = await this.#evidence(source, kind, {
          kept: { checkpoint: keptWire!, from: `this client, kept from ${this.#o.server()}` },
          seen: { checkpoint: wire!, from: `${this.#o.server()}, in a reply` },
          answer,
        }, { kept: kept!.size, seen: seen.size });
        this.#warn("", verdict);
      }
    }
    if (verdict.ok && standing !== "same") await this.#keep(source.server, { checkpoint: wire! });
    this.#last = { wire: wire!, verdict };
    return verdict;
  }

  /** Reads your name's history for the binds in `span`; what they say. */
  async #history(
    source: LogSource,
    checkpoint: SignedCheckpoint,
    name: string,
    key: Uint8Array,
    span: { from: number; to: number },
  ): Promise<OwnVerdict> {
    const entries = [];
    let from = 0;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const history = await source.logHistory(name, from);
      // Each page under a checkpoint that extends the one kept, each entry proven in it.
      const proven = await this.#checkpoint(source, history.checkpoint);
      const checked = proven.ok && provenHistory(proven.checkpoint, name, history.entries);
      if (!proven.ok || !checked || proven.checkpoint.size < checkpoint.size) {
        return { kind: "rebound", how: "hidden-history" };
      }
      entries.push(...checked);
      if (!history.more || checked.length === 0) break;
      from = checked[checked.length - 1].index + 1;
    }
    return ownHistory(entries, key, span);
  }

  async #evidence(
    source: LogSource,
    kind: EvidenceKind,
    pair: {
      kept: { checkpoint: string; from: string };
      seen: { checkpoint: string; from: string };
      answer: string;
    },
    sizes: { kept: number; seen: number },
  ): Promise<Extract<KeyVerdict, { ok: false }>> {
    let evidence: string | undefined;
    try {
      evidence = await saveEvidence(this.#o.home, {
        kind,
        directory: { server: this.#o.server(), key: source.server.key },
        ...pair,
      }, this.#clock());
    } catch (error) {
      evidence = `not saved: ${errorMessage(error)}`;
    }
    this.#caught = { ok: false, reason: kind, log: { ...sizes, evidence } };
    return this.#caught;
  }

  async #keep(
    server: PublicIdentity,
    change: { checkpoint?: string; names?: Record<string, number> },
  ) {
    const kept = this.#o.file.get(server.fingerprint);
    await this.#o.file.set(server.fingerprint, {
      ...(kept?.checkpoint ? { checkpoint: kept.checkpoint } : {}),
      ...(change.checkpoint ? { checkpoint: change.checkpoint } : {}),
      names: { ...kept?.names, ...change.names },
    });
  }

  #rebound(self: { name: string }, own: Extract<OwnVerdict, { kind: "rebound" }>): void {
    this.#o.sink.emit({
      type: "security-warning",
      peer: self.name,
      reason: "own-name-rebound",
      expected: "",
      got: own.key ? fingerprintOf(own.key) : "",
      detail: own.how,
      ...("time" in own && own.time !== undefined
        ? { log: { time: new Date(own.time).toISOString() } }
        : {}),
    });
  }

  #warn(peer: string, verdict: Extract<KeyVerdict, { ok: false }>): void {
    const warning: SecurityWarning = {
      type: "security-warning",
      peer,
      reason: verdict.reason,
      expected: "",
      got: "",
      ...(verdict.detail ? { detail: verdict.detail } : {}),
      ...(verdict.log ? { log: verdict.log } : {}),
    };
    this.#o.sink.emit(warning);
  }
}

/** The verdict on `key` (base64) shown for `name` with `proof` in `checkpoint`. */
function keyVerdict(
  checkpoint: SignedCheckpoint,
  name: string,
  key: string,
  proof: string | undefined,
): KeyVerdict {
  let raw: Uint8Array;
  try {
    raw = fromBase64(key);
  } catch {
    return { ok: false, reason: "unproven-binding", detail: "other-key" };
  }
  const binding = checkBinding(checkpoint, nameKey(name as never), raw, proof);
  return "problem" in binding
    ? { ok: false, reason: "unproven-binding", detail: binding.problem }
    : { ok: true };
}
