/**
 * Group chats (docs/protocol.md §13): a group is a random 128-bit id and a
 * membership its admin signs; messages fan out over pairwise secure links,
 * one per member, and as sealed offline mail to members who are away. The
 * group book (a machine: memberships, invitations, each sender's order) and
 * the fan-out (a machine: how each frame reaches each member) are wired by
 * the group service, the shell; the membership document, the frames and the
 * groups file are what the tests and other implementations build on.
 *
 * @example
 * ```ts
 * import { member, openMembership, signMembership, type Title, toWire } from "./mod.ts";
 * import { Identity } from "../../crypto/mod.ts";
 * import { parseName } from "../../protocol/mod.ts";
 *
 * const alice = Identity.generate();
 * const me = member(parseName("alice"), alice.public);
 * const signed = signMembership(alice, {
 *   group: "00".repeat(16),
 *   version: 1,
 *   title: "team" as Title,
 *   admin: me,
 *   members: [me],
 *   change: { kind: "create", name: me.name },
 *   time: Date.now(),
 * });
 * console.log(openMembership(toWire(signed)).membership.version); // 1
 * ```
 *
 * @module
 */
export {
  type GroupArrival,
  GroupService,
  type GroupServiceOptions,
  MAX_LINKS,
} from "./group_service.ts";
export {
  type GroupCommand,
  groupCommand,
  runGroupCommand,
  type Untimed,
} from "./group_commands.ts";
export { GroupFile, GROUPS_FILE } from "./group_file.ts";
export type { GroupRecord } from "./group_record.ts";
export { GroupBook, type LinkAdmission } from "./group_book.ts";
export { type BookContext, MAX_GROUPS } from "./group_state.ts";
export type { GroupAction, GroupEvent, Peer } from "./group_events.ts";
export {
  decodeFrameBytes,
  decodeFrameValue,
  encodeFrame,
  type GroupFrame,
  MAX_GROUP_TEXT_BYTES,
} from "./group_frames.ts";
export {
  type Change,
  MAX_MEMBERS,
  type Member,
  member,
  type Membership,
  MEMBERSHIP_CONTEXT,
  openMembership,
  type Signed,
  signMembership,
  toWire,
  type WireMembership,
} from "./membership.ts";
export { mailFrames } from "./mail_parts.ts";
export { parseTitle, type Title } from "./titles.ts";
