/**
 * Files (issue 23): `/send NAME PATH` as the session runs it. The file is
 * offered on the open chat with NAME, or on the one this opens as `/chat`
 * does; someone offline gets nothing (files are not left at the
 * directory): the transfer fails as `offline`.
 *
 * @module
 */
import { DirectoryError, type Name } from "../protocol/mod.ts";
import type { BookEvent } from "./chat/mod.ts";
import { CommandError, type EventSink } from "./core/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import type { FileShell } from "./files/mod.ts";
import type { Link } from "./peer_door.ts";

/** What `/send` needs of the session. */
export type SendContext = {
  files: FileShell;
  /** The chats: the one with a name, and the book that opens one. */
  chats: {
    chatWith(name: string): { closing: boolean } | undefined;
    handle(event: BookEvent<Link>, out?: EventSink): Promise<void>;
  };
  link: Pick<DirectoryLink, "lookup">;
  /** Throws CommandError `self` for your own name. */
  notSelf(name: Name): Name;
  now(): number;
  /** Where the command's replies go. */
  out: EventSink;
};

/** Runs `/send name path`: the file checked and queued, and a chat opened when none is. */
export async function sendFile(name: Name, path: string, ctx: SendContext): Promise<void> {
  const { files, out } = ctx;
  ctx.notSelf(name);
  await files.send(name, path, out);
  const open = ctx.chats.chatWith(name);
  if (open && !open.closing) return;
  let online: boolean;
  try {
    online = await ctx.link.lookup(name).then(() => true, (error) => {
      if (error instanceof DirectoryError && error.code === "not-found") return false;
      throw error;
    });
  } catch (error) {
    files.refused(name, "connection-lost");
    throw error;
  }
  if (!online) return files.refused(name, "offline");
  try {
    await ctx.chats.handle({ type: "chat", name, now: ctx.now() }, out);
  } catch (error) {
    // Asking already: the offer goes once that chat opens.
    if (error instanceof CommandError && error.problem.problem === "already-asking") return;
    files.refused(name, "connection-lost");
    throw error;
  }
}
