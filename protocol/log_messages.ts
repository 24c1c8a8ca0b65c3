/**
 * The directory protocol's key-transparency messages (docs/protocol.md
 * §15.4): the log's own requests and their replies, and the checkpoint and
 * proof fields of the replies that show keys. Decoded as strictly as the
 * rest (`messages.ts`): each value is checked here for its form (base64 of
 * at most its length), and by the client for its meaning.
 *
 * @module
 */
import {
  CHECKPOINT_BASE64_LENGTH,
  MAX_BINDING_PROOF_LENGTH,
  MAX_ENTRY_LENGTH,
  MAX_PROOF_HASHES,
} from "../transparency/mod.ts";
import { checks, JsonObject } from "./json_object.ts";

/** Most entries one `log-entries` reply carries. */
export const MAX_LOG_ENTRIES = 500;
/** Most entries one `log-history` reply carries, each with its inclusion proof. */
export const MAX_HISTORY_ENTRIES = 32;

/** A name's log entry with its index and inclusion proof (base64 of hashes). */
export type HistoryEntry = { index: number; entry: string; proof: string };

/** client -> server: the log's requests; none needs a registration. */
export type LogRequest =
  /** The latest checkpoint. */
  | { id: number; type: "log-checkpoint" }
  /** The consistency proof between two sizes of the log. */
  | { id: number; type: "log-consistency"; from: number; to: number }
  /** Entries `from` onward, at most `count` (MAX_LOG_ENTRIES). */
  | { id: number; type: "log-entries"; from: number; count?: number }
  /** A name's entries from index `from` on, each with its inclusion proof. */
  | { id: number; type: "log-history"; name: string; from?: number };

/** server -> client: the replies to the log's requests. */
export type LogReply =
  | { id: number; type: "log-checkpoint"; checkpoint: string }
  | { id: number; type: "log-consistency"; from: number; to: number; proof: string }
  | { id: number; type: "log-entries"; from: number; entries: string[]; checkpoint: string }
  | {
    id: number;
    type: "log-history";
    name: string;
    entries: HistoryEntry[];
    more: boolean;
    checkpoint: string;
  };

const base64Of = (bytes: number) => checks.base64(Math.ceil(bytes / 3) * 4);
const isCheckpoint = base64Of(CHECKPOINT_BASE64_LENGTH * 3 / 4);
const isBindingProof = base64Of(MAX_BINDING_PROOF_LENGTH);
const isHashes = base64Of(MAX_PROOF_HASHES * 32);
const isEntry = base64Of(MAX_ENTRY_LENGTH);
const isSize = checks.id;
const isLimit = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const isName = checks.shortString(64);

/** The checkpoint and proof a reply that shows a key may carry, checked for their form. */
export function optionalProof(o: JsonObject): { checkpoint?: string; proof?: string } {
  const checkpoint = o.optional("checkpoint", isCheckpoint, "a base64 checkpoint");
  const proof = o.optional("proof", isBindingProof, "a base64 binding proof");
  return {
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(proof === undefined ? {} : { proof }),
  };
}

/** The log request of `type` in `o`, or undefined when `type` is none of the log's. */
export function decodeLogRequest(o: JsonObject, id: number, type: string): LogRequest | undefined {
  switch (type) {
    case "log-checkpoint":
      return { id, type };
    case "log-consistency":
      return {
        id,
        type,
        from: o.field("from", isSize, "a log size"),
        to: o.field("to", isSize, "a log size"),
      };
    case "log-entries":
      return {
        id,
        type,
        from: o.field("from", isSize, "a log index"),
        count: o.optional("count", isLimit, "a positive integer"),
      };
    case "log-history":
      return {
        id,
        type,
        name: o.field("name", isName, "a string"),
        from: o.optional("from", isSize, "a log index"),
      };
    default:
      return undefined;
  }
}

function decodeHistoryEntry(o: JsonObject): HistoryEntry {
  return {
    index: o.field("index", isSize, "a log index"),
    entry: o.field("entry", isEntry, "a base64 log entry"),
    proof: o.field("proof", isHashes, "a base64 inclusion proof"),
  };
}

/** The reply to a log request of `type` in `o`, or undefined when `type` is none of the log's. */
export function decodeLogReply(o: JsonObject, id: number, type: string): LogReply | undefined {
  switch (type) {
    case "log-checkpoint":
      return { id, type, checkpoint: o.field("checkpoint", isCheckpoint, "a base64 checkpoint") };
    case "log-consistency":
      return {
        id,
        type,
        from: o.field("from", isSize, "a log size"),
        to: o.field("to", isSize, "a log size"),
        proof: o.field("proof", isHashes, "a base64 consistency proof"),
      };
    case "log-entries":
      return {
        id,
        type,
        from: o.field("from", isSize, "a log index"),
        entries: o.list("entries", MAX_LOG_ENTRIES, (v) => {
          if (!isEntry(v)) throw o.fail('"entries" must hold base64 log entries');
          return v;
        }),
        checkpoint: o.field("checkpoint", isCheckpoint, "a base64 checkpoint"),
      };
    case "log-history":
      return {
        id,
        type,
        name: o.field("name", isName, "a string"),
        entries: o.list(
          "entries",
          MAX_HISTORY_ENTRIES,
          (v) => decodeHistoryEntry(JsonObject.from(v, "a history entry", (m) => o.fail(m))),
        ),
        more: o.field("more", checks.boolean, "a boolean"),
        checkpoint: o.field("checkpoint", isCheckpoint, "a base64 checkpoint"),
      };
    default:
      return undefined;
  }
}
