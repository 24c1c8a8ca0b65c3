/**
 * Every sentence a person reads about groups (issue 24), made from an
 * event's codes and data: the refusals of group commands, the warnings a
 * group frame can raise, the notice of a join sent, and the terminal's line
 * for each group event. words.ts passes group codes here, so its tables
 * stay whole; the terminal renders the lines after making network text safe.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";
import type { ClientEvent, ClientProblem, GroupEventBody, SecurityWarning } from "../core/mod.ts";

const fp = (f: string): string => formatFingerprint(f as Fingerprint);
const short = (f: string): string => `${fp(f).slice(0, 19)}…`;

/** The rule of group titles, in the words every refusal uses. */
export const TITLE_RULE =
  "a title is 1 to 32 characters of letters A-Z and a-z, digits, _, - and ., starting and ending with a letter or digit";

/** The problems of group commands. */
export type GroupProblem = Extract<
  ClientProblem,
  {
    problem:
      | "bad-title"
      | "title-taken"
      | "already-member"
      | "not-in-group"
      | "admin-leave"
      | "not-joined"
      | "no-group-chat"
      | "group-eom"
      | "no-groups"
      | "group-too-long"
      | "unknown-group"
      | "ambiguous-group"
      | "not-admin"
      | "group-full"
      | "too-many-groups";
  }
>;

/** Whether `p` is a group command's problem. */
export function isGroupProblem(p: ClientProblem): p is GroupProblem {
  return [
    "bad-title",
    "title-taken",
    "already-member",
    "not-in-group",
    "admin-leave",
    "not-joined",
    "no-group-chat",
    "group-eom",
    "no-groups",
    "group-too-long",
    "unknown-group",
    "ambiguous-group",
    "not-admin",
    "group-full",
    "too-many-groups",
  ].includes(p.problem);
}

/** Why a group command was refused, and what to do. */
export function groupProblemWords(p: GroupProblem): string {
  switch (p.problem) {
    case "bad-title":
      return `"${p.title}" cannot be a group's title: ${TITLE_RULE}`;
    case "title-taken":
      return `You already have a group called #${p.title}; choose another title`;
    case "already-member":
      return `${p.name} is already a member of #${p.title}`;
    case "not-in-group":
      return `${p.name} is not a member of #${p.title} and has no invitation to it`;
    case "admin-leave":
      return `You are #${p.title}'s admin: /remove the other members first, or nobody can ever change the group again`;
    case "not-joined":
      return `You are not in #${p.title} yet: its admin has not let you in`;
    case "no-group-chat":
      return "No group is the current conversation; /chat #TITLE picks one";
    case "group-eom":
      return `EOM ends a chat; #${p.title} stays your current conversation (/chat NAME to talk to someone, /leave #${p.title} to leave it)`;
    case "no-groups":
      return "Groups are off in this client";
    case "group-too-long":
      return `A group message holds at most ${p.max} bytes (it must fit offline mail too); send it in parts`;
    case "unknown-group":
      return `You have no group or invitation #${p.ref}; /groups lists them`;
    case "ambiguous-group":
      return `#${p.ref} could be any of ${
        p.ids.map((id) => `#${id}`).join(", ")
      }: name one by its id`;
    case "not-admin":
      return `Only #${p.title}'s admin, ${p.admin}, can change who is in it`;
    case "group-full":
      return `#${p.title} has ${p.max} members and invitations, as many as a group holds`;
    case "too-many-groups":
      return `You are in ${p.max} groups, as many as a client holds; /leave one first`;
  }
}

/** The warning reasons of groups. */
export const GROUP_WARNINGS: readonly string[] = [
  "not-a-member",
  "not-admin",
  "old-membership",
  "membership-conflict",
];

/** A group warning, as a sentence that says what happened. */
export function groupWarningWords(e: SecurityWarning): string {
  const group = e.title ? `#${e.title}` : `the group ${e.group?.slice(0, 8) ?? ""}`;
  switch (e.reason) {
    case "not-a-member":
      return `${e.peer} (${short(e.got)}) is not a member of ${group}; what they sent was refused`;
    case "not-admin":
      return `${e.peer} sent a change to ${group} that its admin did not sign${
        e.detail ? ` (${e.detail})` : ""
      }; it was refused and the membership you hold stands`;
    case "old-membership":
      return `${e.peer} sent an older membership of ${group}${
        e.detail ? ` (${e.detail})` : ""
      } than the one you hold, never seen before: someone may be replaying it; it was refused`;
    default:
      return `${e.peer} sent a membership of ${group} that differs from the one you hold for the same version: its admin signed two. The one you hold stands`;
  }
}

/** The notice that /join went to the admin. */
export function joinSentWords(title: string, admin: string): string {
  return `Asked ${admin} to let you into #${title}; you are in once their client answers`;
}

/** How well a key is known, for an invitation. */
function knownWords(known: string): string {
  return known === "new" ? "first contact" : known === "verified" ? "verified key" : "pinned key";
}

/** `"text"`, cut to `max` characters. */
function quote(text: string, max = 40): string {
  const chars = [...text];
  return `“${chars.length > max ? `${chars.slice(0, max).join("")}…` : text}”`;
}

/** Whether `e` is a group event. */
export function isGroupEvent(e: ClientEvent): e is GroupEventBody & { re?: string } {
  return e.type.startsWith("group") || e.type === "members";
}

/**
 * The terminal's line for a group event (already made safe), and how it is
 * set: `hang` for a message's rows, `stderr`, `style`; null for events the
 * input shows itself (`group-sent` in a terminal: the typed line stays).
 */
export function groupLine(
  e: GroupEventBody,
  interactive: boolean,
): { text: string; hang?: string; stderr?: boolean; style?: "dim" | "bold" | "green" } | null {
  const g = `#${e.type === "groups" ? "" : e.title}`;
  switch (e.type) {
    case "group-created":
      return { text: `Created ${g}; you are its admin. Invite people with /invite ${g} NAME` };
    case "group-invite":
      return {
        text: `${e.from} invites you to ${g} (${knownWords(e.known)}, ${
          fp(e.fingerprint)
        }); members: ${e.members.map((m) => m.name).join(", ")}. /join ${g} or /decline ${g}`,
        style: "bold",
      };
    case "group-invited":
      return {
        text: `Invited ${e.name} (${short(e.fingerprint)}) to ${g}; they are in once they /join`,
        style: "dim",
      };
    case "group-declined":
      return { text: `${e.name} declined your invitation to ${g}` };
    case "group-joined":
      return {
        text: `You joined ${g}: ${
          e.members.map((m) => m.name).join(", ")
        }. /chat ${g} to talk to them`,
        style: "green",
      };
    case "group-message": {
      const when = e.offline
        ? `[${e.time.slice(0, 10)} ${e.time.slice(11, 16)}]`
        : `[${e.time.slice(11, 16)}]`;
      const how = e.offline ? " (left at the directory)" : e.late ? " (late)" : "";
      return { text: e.text, hang: `${when} ${g} ${e.from}${how}: ` };
    }
    case "group-sent":
      return interactive ? null : { text: `[${e.time.slice(11, 16)}] you→${g}: ${e.text}` };
    case "group-delivered": {
      const all = e.to.length + e.pending.length;
      return {
        text: `  ✓ ${e.to.length}/${all} ${g} ${quote(e.text)}${
          e.pending.length > 0 ? ` (not yet: ${e.pending.join(", ")})` : ""
        }`,
        style: "dim",
      };
    }
    case "group-member-added":
      return { text: `${e.name} joined ${g} (let in by ${e.by})` };
    case "group-member-removed":
      return {
        text: e.by === e.name
          ? `${e.name} left ${g}`
          : `${e.name} was removed from ${g} by ${e.by}`,
      };
    case "group-left":
      return {
        text: e.reason === "removed"
          ? `You were removed from ${g} by its admin; nothing more comes from it`
          : e.reason === "declined"
          ? `You declined the invitation to ${g}`
          : `You left ${g}`,
      };
    case "group-current":
      return { text: `Now talking in ${g}: lines go to every member` };
    case "groups":
      if (e.groups.length === 0) return { text: "No groups. /group new TITLE makes one." };
      return {
        text: e.groups.map((x) =>
          `  ${
            x.current ? "*" : " "
          } #${x.title} (${x.state}; admin ${x.admin}, ${x.members} member${
            x.members === 1 ? "" : "s"
          }, version ${x.version}, id ${x.group.slice(0, 8)})`
        ).join("\n"),
      };
    case "members":
      return {
        text: [
          `${g}, version ${e.version}:`,
          ...e.members.map((m) =>
            `  ${m.name.padEnd(20)} ${short(m.fingerprint)}${m.verified ? "  ✔ verified" : ""}${
              m.admin ? "  (admin)" : ""
            }${m.self ? "  (you)" : ""}`
          ),
          ...(e.invited.length > 0 ? [`  invited, not yet joined: ${e.invited.join(", ")}`] : []),
        ].join("\n"),
      };
  }
}
