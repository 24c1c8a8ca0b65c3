/**
 * Files (issue 23): the events a transfer reports, from offer to its end
 * (docs/cli.md, `file-offer` to `files`), and the values they carry: why a
 * transfer failed, who stopped it, where it is, and a transfer as `/files`
 * lists it. Part of every event the client reports (`events.ts`).
 *
 * @module
 */

/** Why a transfer failed (docs/cli.md, `file-failed`). */
export type FileFailReason =
  | "declined"
  | "cancelled"
  | "too-large"
  | "corrupt"
  | "no-space"
  | "changed"
  | "connection-lost"
  | "offline"
  | "busy"
  | "relay-budget"
  | "unreadable"
  | "unwritable";

/** Who stopped a transfer: you, the peer, or neither (the network, a disk, a check). */
export type FileStoppedBy = "you" | "peer" | "none";

/** Where a transfer is, as `/files` lists it. */
export type FileState =
  | "preparing"
  | "waiting"
  | "offered"
  | "sending"
  | "receiving"
  | "checking"
  | "done"
  | "failed";

/** A transfer as `/files` lists it. */
export type ListedTransfer = {
  peer: string;
  id: string;
  name: string;
  size: number;
  direction: "in" | "out";
  state: FileState;
  bytes: number;
  /** For a failed one: why. */
  reason?: FileFailReason;
};

/** Files (issue 23): every file event (docs/cli.md). */
export type FileEventBody =
  /** An offer arrived, or left (`direction: "out"`). */
  | {
    type: "file-offer";
    peer: string;
    id: string;
    name: string;
    size: number;
    sha256: string;
    direction?: "out";
    /** The same file from the same sender, kept in part from before: it resumes without asking. */
    resuming?: true;
  }
  /** At most 4 a second per transfer, both sides; `rate` in bytes a second. */
  | {
    type: "file-progress";
    peer: string;
    id: string;
    bytes: number;
    size: number;
    rate: number;
    name: string;
    direction: "in" | "out";
  }
  /** The file is complete, its SHA-256 checked, and in place under `path`. */
  | {
    type: "file-received";
    peer: string;
    id: string;
    name: string;
    path: string;
    size: number;
    sha256: string;
    resumed_bytes: number;
  }
  /** The receiver confirmed the checked file. */
  | {
    type: "file-sent";
    peer: string;
    id: string;
    name: string;
    size: number;
    sha256: string;
    resumed_bytes: number;
  }
  /** A transfer stopped; `resumable`: a later /send of the same file picks up what was kept. */
  | {
    type: "file-failed";
    peer: string;
    id: string;
    reason: FileFailReason;
    resumable: boolean;
    name: string;
    direction: "in" | "out";
    by: FileStoppedBy;
    /** For `too-large`: the receiver's --max-file-size. For `relay-budget`: the bytes the relay still carries. */
    max?: number;
    left?: number;
    /** For `corrupt`: what did not match. */
    detail?: string;
    size?: number;
  }
  /** `/files`: transfers under way, waiting and finished in this session. */
  | { type: "files"; transfers: ListedTransfer[] };
