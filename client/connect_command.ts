/**
 * `p2pchat connect`: the chat client.
 *
 * @module
 */
import { join } from "node:path";
import type { Command } from "../cli/command.ts";
import { DirectoryError } from "../directory/mod.ts";
import { homeEnvFromProcess } from "../storage/data_dir.ts";
import { IDENTITY_FILE, loadOrCreateIdentity } from "../storage/identity_file.ts";
import { ChatApp } from "./app.ts";
import { connectFlags, parseConnectOptions } from "./connect_options.ts";
import { DirectoryLink, ServerKeyError } from "./directory_link.ts";
import type { EventSink } from "./events.ts";
import { JsonSink } from "./json_ui.ts";
import { PinFile } from "./pin_file.ts";
import { TerminalUi } from "./terminal_ui.ts";
import { ownAddresses } from "./own_addresses.ts";

/** Pinned directory keys, by `host:port`. */
export const KNOWN_SERVERS_FILE = "known_servers";
/** Pinned peer keys, by folded name. */
export const KNOWN_PEERS_FILE = "known_peers";

/** The `connect` subcommand. */
export const connectCommand: Command<typeof connectFlags> = {
  name: "connect",
  summary: "join a directory and chat with peers",
  flags: connectFlags,
  example: "p2pchat connect --name alice --server 127.0.0.1:7447",
  async run(values): Promise<number> {
    const options = parseConnectOptions(values, {
      ...homeEnvFromProcess(),
      P2PCHAT_SERVER: Deno.env.get("P2PCHAT_SERVER"),
    });
    const terminal = options.json ? undefined : new TerminalUi();
    const sink: EventSink = terminal ?? new JsonSink();
    const fail = (code: string, message: string): number => {
      sink.emit({ type: "error", code, message });
      terminal?.close();
      return 1;
    };
    let name = options.name;
    if (!name) {
      if (!terminal?.interactive) return fail("usage", "Choose a name with --name NAME");
      name = (await terminal.ask("Your name: ")) ?? "";
    }
    const { identity } = await loadOrCreateIdentity(join(options.home, IDENTITY_FILE));
    const [serverPins, peerPins] = await Promise.all([
      PinFile.load(join(options.home, KNOWN_SERVERS_FILE)),
      PinFile.load(join(options.home, KNOWN_PEERS_FILE)),
    ]);
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: options.listen.hostname, port: options.listen.port });
    } catch (error) {
      return fail(
        "listen-failed",
        `Cannot listen for peers on ${options.listen.hostname}:${options.listen.port}: ${
          (error as Error).message
        }; choose another --listen`,
      );
    }
    const started: { app?: ChatApp } = {};
    const link = new DirectoryLink({
      server: options.server,
      identity,
      pins: serverPins,
      serverKey: options.serverKey,
      sink,
      // The app exists only once registered; offers before that have nobody to answer them.
      onRelayOffer: (offer) => started.app?.acceptRelayOffer(offer),
    });
    try {
      await link.connect();
    } catch (error) {
      listener.close();
      if (error instanceof ServerKeyError) return fail(error.code, error.message);
      return fail(
        "server-unreachable",
        `Cannot reach the directory at ${link.serverLabel}: ${
          (error as Error).message
        }. Start one with p2pchat serve, or pass --server HOST:PORT`,
      );
    }
    while (true) {
      try {
        name = await link.register(name, listener.addr.port, ownAddresses(options.listen.hostname));
        break;
      } catch (error) {
        if (
          !(error instanceof DirectoryError) ||
          !["name-taken", "name-invalid"].includes(error.code) || !terminal?.interactive
        ) {
          listener.close();
          await link.stop().catch(() => {});
          return fail(
            error instanceof DirectoryError ? error.code : "register-failed",
            (error as Error).message,
          );
        }
        sink.emit({ type: "error", code: error.code, message: error.message });
        const another = await terminal.ask("Choose another name: ");
        if (another === null) {
          listener.close();
          await link.stop().catch(() => {});
          return 1;
        }
        name = another;
      }
    }
    const app = new ChatApp({
      name,
      identity,
      link,
      peers: peerPins,
      sink,
      autoAccept: options.autoAccept,
      relay: options.relay,
    });
    started.app = app;
    terminal?.attach(() => app.prompt, () => app.knownNames);
    const listen = `${options.listen.hostname}:${listener.addr.port}`;
    sink.emit({
      type: "ready",
      name,
      listen,
      fingerprint: identity.public.fingerprint,
      server: link.serverLabel,
    });
    const serving = app.serve(listener).catch(() => {});
    const reading = (async () => {
      const lines = terminal ? terminal.lines() : readLines();
      for await (const line of lines) {
        app.handle(line);
        terminal?.prompt();
      }
      await app.quit();
    })();
    await app.done;
    listener.close();
    terminal?.close();
    await serving;
    void reading;
    return 0;
  },
};

async function* readLines(): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}
