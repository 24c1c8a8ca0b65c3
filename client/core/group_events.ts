/**
 * Groups (issue 24): the events a group reports (docs/cli.md, Groups), from
 * its creation and invitations to messages, deliveries and membership
 * changes. Part of every event the client reports (`events.ts`).
 *
 * @module
 */
import type { KeyStatus } from "../trust/mod.ts";

/** A group member as group events list them. */
export type GroupMemberInfo = { name: string; fingerprint: string };

/** Groups (issue 24): every group event (docs/cli.md, Groups). */
export type GroupEventBody =
  | { type: "group-created"; group: string; title: string }
  /** Someone invites you: the admin, their key, how well you know it, and the members. */
  | {
    type: "group-invite";
    group: string;
    title: string;
    from: string;
    fingerprint: string;
    known: KeyStatus;
    version: number;
    members: GroupMemberInfo[];
  }
  /** Reply to /invite: the invitation went to `name`. */
  | { type: "group-invited"; group: string; title: string; name: string; fingerprint: string }
  /** The invitee declined your invitation. */
  | { type: "group-declined"; group: string; title: string; name: string }
  | { type: "group-joined"; group: string; title: string; members: GroupMemberInfo[] }
  /** `offline`: it came as mail; `late`: after the messages sent after it (its gap timed out). */
  | {
    type: "group-message";
    group: string;
    title: string;
    from: string;
    id: string;
    text: string;
    time: string;
    offline?: true;
    late?: true;
  }
  | {
    type: "group-sent";
    group: string;
    title: string;
    id: string;
    text: string;
    time: string;
    to: string[];
  }
  /** Who has shown message `id` so far, and who not yet. */
  | {
    type: "group-delivered";
    group: string;
    title: string;
    id: string;
    text: string;
    to: string[];
    pending: string[];
  }
  | { type: "group-member-added"; group: string; title: string; name: string; by: string }
  | { type: "group-member-removed"; group: string; title: string; name: string; by: string }
  | { type: "group-left"; group: string; title: string; reason: "left" | "removed" | "declined" }
  /** Reply to /chat #TITLE: lines now go to the group. */
  | { type: "group-current"; group: string; title: string }
  | {
    type: "groups";
    groups: {
      group: string;
      title: string;
      state: "joined" | "joining" | "invited";
      admin: string;
      members: number;
      version: number;
      current: boolean;
    }[];
  }
  | {
    type: "members";
    group: string;
    title: string;
    version: number;
    admin: string;
    members: {
      name: string;
      fingerprint: string;
      verified: boolean;
      admin: boolean;
      self: boolean;
    }[];
    invited: string[];
  };
