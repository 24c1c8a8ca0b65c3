/**
 * The group commands (docs/cli.md, Groups) as the group book takes them, and
 * which parsed line is which (pure): the session hands any group command
 * here, and the service adds the time.
 *
 * @module
 */
import { parseName } from "../../protocol/mod.ts";
import { type ChatCommand, CommandError, type EventSink } from "../core/mod.ts";
import type { GroupEvent } from "./group_events.ts";
import type { GroupService } from "./group_service.ts";

/** A group command, as the book takes it. */
export type GroupCommand = Extract<
  GroupEvent,
  {
    type:
      | "new"
      | "invite"
      | "join"
      | "decline"
      | "say"
      | "focus"
      | "unfocus"
      | "members"
      | "groups"
      | "remove"
      | "leave";
  }
>;

/** A group command as the session gives it: the time is the service's. */
export type Untimed<T> = T extends unknown ? Omit<T, "now"> : never;

/** The group command `command` is, if it is one; a bad name throws InvalidNameError. */
export function groupCommand(command: ChatCommand): Untimed<GroupCommand> | undefined {
  switch (command.kind) {
    case "group-new":
      return { type: "new", title: command.title };
    case "group-invite":
      return { type: "invite", ref: command.ref, name: parseName(command.name) };
    case "group-join":
      return { type: "join", ref: command.ref };
    case "group-decline":
      return { type: "decline", ref: command.ref };
    case "group-chat":
      return { type: "focus", ref: command.ref };
    case "group-msg":
      return { type: "say", ref: command.ref, text: command.text };
    case "group-members":
      return { type: "members", ref: command.ref };
    case "groups":
      return { type: "groups" };
    case "group-remove":
      return { type: "remove", ref: command.ref, name: parseName(command.name) };
    case "group-leave":
      return { type: "leave", ref: command.ref };
    default:
      return undefined;
  }
}

/**
 * Runs `command` if it is the groups' to run, replying to `out`; whether it
 * was. A group command, a plain line while a group is the current
 * conversation, and EOM then (refused: it ends chats) are; `/chat NAME` and
 * `/accept NAME` make a chat the current conversation, and go on to the chats.
 */
export async function runGroupCommand(
  groups: GroupService | undefined,
  command: ChatCommand,
  out: EventSink,
): Promise<boolean> {
  const group = groupCommand(command);
  if (group && !groups) throw new CommandError({ code: "bad-command", problem: "no-groups" });
  if (!groups) return false;
  if (group) {
    await groups.command(group, out);
    return true;
  }
  const current = groups.current;
  if (current && command.kind === "say") {
    await groups.command({ type: "say", text: command.text }, out);
    return true;
  }
  if (current && command.kind === "eom") {
    throw new CommandError({ code: "bad-command", problem: "group-eom", title: current.title });
  }
  if (command.kind === "chat" || command.kind === "accept") {
    await groups.command({ type: "unfocus" }, out);
  }
  return false;
}
