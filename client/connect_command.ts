/**
 * `p2pchat connect`: the chat client. This file wires the pieces together
 * (options, interface, identity, pins, listener, directory link, session)
 * and owns the session's start and end: Ctrl-C, SIGINT and SIGTERM end it as
 * /quit does, at once; end of input too, after the commands typed before it;
 * all with exit code 0.
 *
 * @module
 */
import { join } from "node:path";
import { abortable } from "../async/mod.ts";
import { type Command, UsageError } from "../cli/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  InvalidNameError,
  type Name,
  parseName,
  toWirePrekey,
} from "../protocol/mod.ts";
import { errorMessage } from "../errors/mod.ts";
import { homeEnvFromProcess } from "../storage/mod.ts";
import { IDENTITY_FILE, loadOrCreateIdentity } from "../storage/mod.ts";
import { ensurePrivateDir, writableByOthers } from "../storage/mod.ts";
import { ChatSession } from "./session.ts";
import { connectFlags, type ConnectOptions, parseConnectOptions } from "./connect_options.ts";
import { DirectoryLink, hostPortLabel } from "./directory/mod.ts";
import { ClientError, errorEvent, type EventSink } from "./core/mod.ts";
import {
  ANOTHER_NAME_QUESTION,
  JsonSink,
  NAME_NEEDED,
  NAME_QUESTION,
  promptWords,
  wordedSink,
} from "./terminal/mod.ts";
import { MAIL_FILE, MailBook } from "./mail/mod.ts";
import { MailService } from "./mail/mod.ts";
import { PrekeyRing, PREKEYS_FILE } from "./mail/mod.ts";
import { ownAddresses } from "./own_addresses.ts";
import { PeerTrust } from "./trust/mod.ts";
import { PinFile } from "./trust/mod.ts";
import { CheckpointFile, CHECKPOINTS_FILE } from "./trust/mod.ts";
import { TerminalUi } from "./terminal/mod.ts";
// Groups (issue 24).
import { GroupFile, GROUPS_FILE } from "./groups/mod.ts";
import { FileShell } from "./files/mod.ts";

/** Pinned directory keys, by `host:port`. */
export const KNOWN_SERVERS_FILE = "known_servers";
/** Pinned peer keys, by directory and folded name. */
export const KNOWN_PEERS_FILE = "known_peers";

/** The `connect` subcommand. */
export const connectCommand: Command<typeof connectFlags> = {
  name: "connect",
  summary: "join a directory and chat with peers",
  flags: connectFlags,
  example: "p2pchat connect --name alice --server chat.example.org",
  async run(values): Promise<number> {
    const options = parseConnectOptions(values, {
      ...homeEnvFromProcess(),
      P2PCHAT_SERVER: Deno.env.get("P2PCHAT_SERVER"),
      // Files (issue 23): where received files go by default.
      XDG_DOWNLOAD_DIR: Deno.env.get("XDG_DOWNLOAD_DIR") || undefined,
    });
    if (options.name === undefined && (options.json || !Deno.stdin.isTerminal())) {
      throw new UsageError(
        NAME_NEEDED,
        "connect",
      );
    }
    const terminal = options.json ? undefined : new TerminalUi();
    try {
      return await runSession(options, terminal, terminal ? wordedSink(terminal) : new JsonSink());
    } finally {
      terminal?.close();
    }
  },
};

/** Ends the start-up early: the user pressed Ctrl-C (or sent SIGINT/SIGTERM) before chatting. */
const INTERRUPTED: unique symbol = Symbol("interrupted");

async function runSession(
  options: ConnectOptions,
  terminal: TerminalUi | undefined,
  sink: EventSink,
): Promise<number> {
  const startup = new AbortController();
  let app: ChatSession | undefined;
  const interrupt = (): void => {
    if (app) app.quit();
    else startup.abort(INTERRUPTED);
  };
  terminal?.onInterrupt(interrupt);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, interrupt);
  let listener: Deno.TcpListener | undefined;
  let link: DirectoryLink | undefined;
  const fail = (error: unknown): number => {
    sink.emit(errorEvent(error));
    return 1;
  };
  const step = <T>(work: Promise<T>): Promise<T> => abortable(work, startup.signal);
  try {
    let name = options.name ?? await step(askName(terminal!));
    if (name === null) return 0;
    await ensurePrivateDir(options.home);
    const exposed = await writableByOthers(options.home);
    if (exposed) {
      sink.emit({
        type: "notice",
        notice: { code: "home-exposed", home: options.home, warning: exposed },
      });
    }
    const { identity } = await loadOrCreateIdentity(join(options.home, IDENTITY_FILE));
    const [serverPins, peerPins, prekeys, mailBook, groups, checkpoints] = await Promise.all([
      PinFile.load(join(options.home, KNOWN_SERVERS_FILE)),
      PinFile.load(join(options.home, KNOWN_PEERS_FILE)),
      PrekeyRing.load(join(options.home, PREKEYS_FILE)),
      MailBook.load(join(options.home, MAIL_FILE)),
      // Groups (issue 24): the groups this client is in, and its invitations.
      GroupFile.load(join(options.home, GROUPS_FILE)),
      // Key transparency (docs/protocol.md §15.6): each directory's checkpoint, kept.
      CheckpointFile.load(join(options.home, CHECKPOINTS_FILE)),
    ]);
    // Mail the directory delivers before the app exists waits for it.
    const early: { id: number; sealed: string; stored: number }[] = [];
    try {
      listener = Deno.listen({ hostname: options.listen.hostname, port: options.listen.port });
    } catch (error) {
      const { hostname, port } = options.listen;
      return fail(
        new ClientError({
          code: "listen-failed",
          problem: "listen-failed",
          address: `${hostname}:${port}`,
          cause: errorMessage(error),
        }, { cause: error }),
      );
    }
    link = new DirectoryLink({
      servers: options.servers,
      identity,
      pins: serverPins,
      serverKey: options.serverKey,
      sink,
      // The app exists only once registered; offers before that have nobody to answer them.
      onRelayOffer: (offer) => app?.acceptRelayOffer(offer),
      onMail: (mail) => app ? app.receiveMail(mail) : early.push(mail),
      prekey: async () => toWirePrekey((await prekeys.current(Date.now())).signedBy(identity)),
      // Hole punching (docs/protocol.md §11.2): peers dial from the directory connection's port.
      reusablePort: options.punch,
      log: { file: checkpoints, home: options.home },
    });
    try {
      await step(link.connect());
    } catch (error) {
      if (error === INTERRUPTED) throw error;
      if (!(error instanceof DirectoryUnavailableError) || error.code !== "unreachable") {
        return fail(error);
      }
      return fail(
        new ClientError({
          code: "server-unreachable",
          problem: "server-unreachable",
          cause: error.message,
        }, { cause: error }),
      );
    }
    const announced = ownAddresses(options.listen.hostname);
    let registered: { name: string; address: string };
    while (true) {
      try {
        registered = await step(link.register(name, listener.addr.port, announced));
        break;
      } catch (error) {
        const retry = error instanceof DirectoryError &&
          ["name-taken", "name-confusable", "name-invalid"].includes(error.code) &&
          terminal?.interactive;
        if (!retry) return fail(error);
        sink.emit(errorEvent(error));
        const another = await step(askName(terminal!, ANOTHER_NAME_QUESTION));
        if (another === null) return 0;
        name = another;
      }
    }
    const self = parseName(registered.name);
    const trust = new PeerTrust(peerPins, link.serverFingerprint, {
      name: self,
      fingerprint: identity.public.fingerprint,
    });
    const mail = new MailService({
      name: self,
      identity,
      // Every key the mail room goes by is one the directory's log proves (§15.6).
      directory: {
        prekey: (name) => link!.prekey(name),
        lookup: (name) => link!.lookupProven(name),
        mail: (to, sealed) => link!.mail(to, sealed),
        mailAck: (ids) => link!.mailAck(ids),
      },
      trust,
      book: mailBook,
      prekeys,
      sink,
    });
    // Files (issue 23): transfers, with the records of parts kept from before.
    const directory = link;
    const files = await FileShell.create({
      home: options.home,
      downloads: options.downloads,
      maxFileSize: options.maxFileSize,
      sink,
      relayLeft: (token) => directory.relayLeft(token),
      report: (error) => sink.emit(errorEvent(error)),
    });
    app = new ChatSession({
      name: self,
      identity,
      link,
      trust,
      sink,
      autoAccept: options.autoAccept,
      relay: options.relay,
      mail,
      punch: options.punch,
      groups,
      files,
    });
    const started = app;
    terminal?.attach(() => promptWords(started.view), () => started.knownNames);
    const port = listener.addr.port;
    const reachable = [...new Set([...announced, registered.address])]
      .filter((address) => address !== "0.0.0.0" && address !== "::")
      .map((address) => `${address.includes(":") ? `[${address}]` : address}:${port}`);
    sink.emit({
      type: "ready",
      name: self,
      listen: reachable[0],
      addresses: reachable,
      fingerprint: identity.public.fingerprint,
      server: link.serverLabel,
      ...observedFields(link),
    });
    // The listener is closed at the end, which ends its loop: nothing to report then.
    const serving = app.serve(listener).catch(() => {});
    for (const held of early.splice(0)) app.receiveMail(held);
    // Messages the directory dropped unread while we were away; a mail book that cannot be
    // written is the user's to know.
    mail.expire().catch((error) => sink.emit(errorEvent(error)));
    (async () => {
      for await (const line of terminal ? terminal.lines() : readLines()) {
        // Commands run in order; the prompt is redrawn once each one's replies are out.
        started.handle(line).then(() => terminal?.prompt());
      }
      // End of input (Ctrl-D, a closed pipe) is /quit, after the commands before it.
      await started.handle("/quit");
    })();
    await app.done;
    listener.close();
    await serving;
    return 0;
  } catch (error) {
    if (error === INTERRUPTED) {
      // Leaving before chatting: a directory that is gone already has nobody to tell.
      await link?.stop().catch(() => {});
      return 0;
    }
    throw error;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, interrupt);
    try {
      listener?.close();
    } catch {
      // Closed already.
    }
  }
}

/** Hole punching: where the directory sees this client, and whether through a NAT (`ready`). */
function observedFields(link: DirectoryLink): { observed?: string; nat?: boolean } {
  const seen = link.seenFrom;
  if (!seen) return {};
  return {
    observed: hostPortLabel({ hostname: seen.observed.address, port: seen.observed.port }),
    nat: seen.nat,
  };
}

/** Asks for a name until a valid one is typed; null at end of input (Ctrl-D). */
async function askName(terminal: TerminalUi, question = NAME_QUESTION): Promise<Name | null> {
  while (true) {
    const answer = await terminal.ask(question);
    if (answer === null) return null;
    try {
      return parseName(answer.trim());
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      terminal.emit(errorEvent(error));
    }
  }
}

async function* readLines(): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}
