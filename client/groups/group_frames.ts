/**
 * What members say to each other about a group (docs/protocol.md §13.2):
 * one JSON object per record on a group link, or the `frame` of a sealed
 * `group` mail body. Each names its group; decoding is strict, and anything
 * off is a PeerProtocolError naming the rule, never a crash.
 *
 * @module
 */
import { MAX_MESSAGE, utf8 } from "../../crypto/mod.ts";
import { checks, JsonObject } from "../../protocol/mod.ts";
import { isRandomId } from "../chat/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import { MAX_DOC_BYTES, type WireMembership } from "./membership.ts";

/** Most UTF-8 bytes of text one group message carries: it must fit offline mail too. */
export const MAX_GROUP_TEXT_BYTES = 4096;
/** Most ids one `group-ack` lists. */
export const MAX_ACK_IDS = 100;
/** Most parts a frame too large for one sealed message is cut into. */
export const MAX_PARTS = 4;
/** Most base64 characters one part carries (3 KiB of the frame). */
export const MAX_PART_CHARS = 4096;
/** Largest frame, as sent whole (a membership with room to spare). */
export const MAX_FRAME_BYTES = 12 * 1024;
/** Highest sequence number a sender may use. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** A frame about one group. */
export type GroupFrame =
  /** The admin invites you: the membership as it stands. */
  | { type: "group-invite"; group: string } & WireMembership
  /** The invitee accepts the invitation to `version`. */
  | { type: "group-join"; group: string; version: number }
  /** The invitee declines. */
  | { type: "group-decline"; group: string }
  /** A member leaves (to the admin, who signs the change). */
  | { type: "group-leave"; group: string }
  /** The latest membership the sender holds. */
  | { type: "group-membership"; group: string } & WireMembership
  /** The version the sender holds: a member with a newer one answers with it. */
  | { type: "group-sync"; group: string; version: number }
  /**
   * A message, sent under membership `version`, the sender's `seq`-th in the
   * group; `since`: the first number the sender sent this recipient (what it
   * sent before they were a member never comes to them).
   */
  | {
    type: "group-msg";
    group: string;
    version: number;
    seq: number;
    since: number;
    id: string;
    text: string;
    time: number;
  }
  /** The sender's client showed these messages. */
  | { type: "group-ack"; group: string; ids: string[] }
  /** Part `index` (from 0) of `count` of a frame too large for one sealed message. */
  | {
    type: "group-part";
    group: string;
    whole: string;
    index: number;
    count: number;
    data: string;
  };

/** The type of a frame. */
export type FrameType = GroupFrame["type"];

const fail = (rule: string): PeerProtocolError => new PeerProtocolError(rule);
const isGroupId = checks.hex(32);
const isVersion = (v: unknown): v is number => checks.id(v) && v >= 1;
const isSeq = (v: unknown): v is number => checks.id(v) && v >= 1 && v <= MAX_SEQ;
const DOC_CHARS = Math.ceil(MAX_DOC_BYTES / 3) * 4;

/**
 * `frames` with the acknowledgements of each group merged, up to
 * MAX_ACK_IDS a frame, in the place of the first: what goes as mail goes in
 * as few sealed messages as it can.
 */
export function mergeAcks(frames: readonly GroupFrame[]): GroupFrame[] {
  const out: GroupFrame[] = [];
  const open = new Map<string, Extract<GroupFrame, { type: "group-ack" }>>();
  for (const frame of frames) {
    if (frame.type !== "group-ack") {
      out.push(frame);
      continue;
    }
    for (const id of frame.ids) {
      let ack = open.get(frame.group);
      if (!ack || ack.ids.length >= MAX_ACK_IDS) {
        ack = { type: "group-ack", group: frame.group, ids: [] };
        open.set(frame.group, ack);
        out.push(ack);
      }
      ack.ids.push(id);
    }
  }
  return out;
}

/** The bytes of `frame`, as a record or a mail body's field carries it. */
export function encodeFrame(frame: GroupFrame): Uint8Array {
  return utf8(JSON.stringify(frame));
}

/** Decodes a frame received on a group link. */
export function decodeFrameBytes(bytes: Uint8Array): GroupFrame {
  return readFrame(
    JsonObject.parse(bytes, { limit: Math.min(MAX_MESSAGE, MAX_FRAME_BYTES), fail }),
  );
}

/** Decodes a frame already parsed as JSON (a mail body's `frame`). */
export function decodeFrameValue(value: unknown): GroupFrame {
  return readFrame(JsonObject.from(value, "the frame", fail));
}

function readFrame(o: JsonObject): GroupFrame {
  const type = o.field("type", checks.string, "a frame type");
  const group = o.field("group", isGroupId, "a 32-digit hex group id");
  const wire = (): WireMembership => ({
    doc: o.field("doc", checks.base64(DOC_CHARS), "a base64 document"),
    sig: o.field("sig", checks.base64(88), "a base64 signature"),
  });
  switch (type) {
    case "group-invite":
    case "group-membership":
      return { type, group, ...wire() };
    case "group-join":
    case "group-sync":
      return { type, group, version: o.field("version", isVersion, "a version number") };
    case "group-decline":
    case "group-leave":
      return { type, group };
    case "group-msg": {
      const text = o.field("text", checks.shortString(MAX_GROUP_TEXT_BYTES), "text");
      if (utf8(text).length > MAX_GROUP_TEXT_BYTES) {
        throw fail(`"text" must be at most ${MAX_GROUP_TEXT_BYTES} bytes`);
      }
      const seq = o.field("seq", isSeq, "a sequence number from 1");
      const since = o.field("since", isSeq, "a sequence number from 1");
      if (since > seq) throw fail(`"since" must be at most "seq"`);
      return {
        type,
        group,
        version: o.field("version", isVersion, "a version number"),
        seq,
        since,
        id: o.field("id", isRandomId, "a 32-digit hex id"),
        text,
        time: o.field("time", checks.dateTime, "a time a date can hold"),
      };
    }
    case "group-ack":
      return {
        type,
        group,
        ids: o.list("ids", MAX_ACK_IDS, (id) => {
          if (!isRandomId(id)) throw fail(`"ids" must be 32-digit hex ids`);
          return id;
        }),
      };
    case "group-part": {
      const count = o.field("count", checks.id, "a count");
      const index = o.field("index", checks.id, "an index");
      if (count < 2 || count > MAX_PARTS || index >= count) {
        throw fail(`a frame comes in 2 to ${MAX_PARTS} parts, each with an index below the count`);
      }
      return {
        type,
        group,
        whole: o.field("whole", checks.hex(64), "a SHA-256 in hex"),
        index,
        count,
        data: o.field("data", checks.base64(MAX_PART_CHARS), "base64"),
      };
    }
    default:
      throw o.fail("a group frame of an unknown type");
  }
}
