/**
 * What travels inside an offline message's seal (docs/protocol.md §12.2),
 * signed by its sender: a message or a receipt, one JSON object, decoded
 * strictly once it opened.
 *
 * @module
 */
import { utf8 } from "../../crypto/mod.ts";
import { checks, JsonObject, MAX_SEALED_BYTES } from "../../protocol/mod.ts";
import { isRandomId } from "../chat/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";

/** Most ids one receipt lists; more go in several. */
export const MAX_RECEIPT_IDS = 100;

/** A sealed body: a message, or a receipt for messages shown. */
export type MailBody =
  | { type: "message"; from: string; to: string; id: string; time: number; text: string }
  | { type: "receipt"; from: string; to: string; ids: string[]; time: number }
  /** Groups (issue 24): a group frame (docs/protocol.md §13.4), decoded by client/groups. */
  | { type: "group"; from: string; to: string; time: number; frame: Record<string, unknown> };

/** The bytes that are sealed for `body`. */
export function encodeBody(body: MailBody): Uint8Array {
  return utf8(JSON.stringify(body));
}

/**
 * Decodes a body that opened (docs/protocol.md §12.2). One that does not
 * decode was written so by its signer: PeerProtocolError, naming the rule.
 */
export function decodeBody(bytes: Uint8Array): MailBody {
  const o = JsonObject.parse(bytes, {
    limit: MAX_SEALED_BYTES,
    fail: (message) => new PeerProtocolError(message),
  });
  const from = o.field("from", checks.string, "a name");
  const to = o.field("to", checks.string, "a name");
  const time = o.field("time", checks.dateTime, "a time a date can hold");
  const type = o.field(
    "type",
    checks.oneOf(["message", "receipt", "group"] as const),
    "message, receipt or group",
  );
  // Groups (issue 24): the frame is checked by the group book, against the group's rules.
  if (type === "group") return { type, from, to, time, frame: { ...o.object("frame").fields } };
  if (type === "message") {
    return {
      type: "message",
      from,
      to,
      time,
      id: o.field("id", isRandomId, "a 32-digit hex id"),
      text: o.field("text", checks.string, "text"),
    };
  }
  return {
    type: "receipt",
    from,
    to,
    time,
    ids: o.list("ids", MAX_RECEIPT_IDS, (id) => {
      if (!isRandomId(id)) throw new PeerProtocolError(`"ids" must be 32-digit hex ids`);
      return id;
    }),
  };
}
