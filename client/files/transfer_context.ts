/**
 * What a transfer's shell (receiving.ts, sending.ts) needs of the client,
 * and the chat a file travels on, as the files see it: its peer, the
 * channel it runs on now (a move between relay and direct changes it), its
 * path and relay token.
 *
 * @module
 */
import type { Fingerprint, SecureChannel } from "../../crypto/mod.ts";
import type { Name, NameKey } from "../../protocol/mod.ts";
import type { EventSink, Path } from "../core/mod.ts";
import type { ResumeRecords } from "./resume_records.ts";
import type { DeskClient } from "./desk_client.ts";

/** A chat a file can travel on (client/chat's Chat is one). */
export type FileChat = {
  readonly peer: { readonly name: Name; readonly key: NameKey; readonly fingerprint: Fingerprint };
  /** The connection the chat runs on now. */
  readonly channel: SecureChannel;
  readonly path: Path;
  /** The relay token the chat first ran through, if it did. */
  readonly relayToken: string | undefined;
  /** True once the chat is ending: nothing more can be sent. */
  readonly closing: boolean;
};

/** What every transfer's shell shares. */
export type TransferContext = {
  /** Where events go. */
  readonly sink: EventSink;
  readonly clock: () => number;
  /** The records of parts kept for resume. */
  readonly records: ResumeRecords;
  /** Where parts are written and hashed. */
  readonly desk: DeskClient;
  /** The transfer ended: its slot is free. */
  ended(id: string): void;
  /** A failure nobody's command asked for (a bug): reported, not thrown. */
  report(error: unknown): void;
};
