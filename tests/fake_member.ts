/**
 * A group member written by hand, for attacks on groups (docs/protocol.md
 * §13.6): it registers with a real directory under a name and an identity of
 * the test's choosing (a real member's, read from its data directory, once
 * that member's client is gone), and says whatever the test wants: group
 * frames sealed as offline mail, or over a group link it opens to a real
 * client, with its own hello. Nothing it sends is checked on its way out:
 * the receiving client is what is under test.
 *
 * @module
 */
import { join } from "node:path";
import {
  connTransport,
  fromBase64,
  Identity,
  initiateChannel,
  Prekey,
  PublicIdentity,
  sealMail,
  type SecureChannel,
  toBase64,
  utf8,
} from "../crypto/mod.ts";
import { fromWirePrekey, toWirePrekey } from "../protocol/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "../client/chat/mod.ts";
import { decodeFrameBytes, encodeFrame, type GroupFrame } from "../client/groups/mod.ts";
import { IDENTITY_FILE, loadIdentity } from "../storage/mod.ts";
import type { ClientProcess, ServeProcess } from "../harness/mod.ts";

/** A link the fake opened to a real client. */
export type FakeLink = {
  /** The client's answer to the hello. */
  readonly answer: PeerMessage | null;
  send(frame: GroupFrame | Record<string, unknown>): Promise<void>;
  /** The next frame the client sends, or null once it closed (within `ms`). */
  receive(ms?: number): Promise<GroupFrame | null>;
  close(): Promise<void>;
};

/** A registered, hand-written member. */
export type FakeMember = {
  readonly name: string;
  readonly identity: Identity;
  /** Seals `frame` in a `group` body for `to` and leaves it at the directory. */
  mail(to: string, frame: GroupFrame | Record<string, unknown>, time?: number): Promise<void>;
  /** Opens a group link to `to` for `group`, saying it holds `version`. */
  link(to: ClientProcess, group: string, version: number): Promise<FakeLink>;
  close(): Promise<void>;
};

/** The identity in a client's data directory. */
export function identityOf(home: string): Promise<Identity> {
  return loadIdentity(join(home, IDENTITY_FILE));
}

/** Registers `name` with `identity` (a fresh one unless given) at `server`. */
export async function fakeMember(
  server: ServeProcess,
  name: string,
  identity: Identity = Identity.generate(),
): Promise<FakeMember> {
  const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
  await client.register(name, 9, [], toWirePrekey(Prekey.generate(Date.now()).signedBy(identity)));
  return {
    name,
    identity,
    async mail(to, frame, time = Date.now()) {
      const answer = await client.prekey(to);
      const body = { type: "group", from: name, to, time, frame };
      const sealed = await sealMail(
        identity,
        PublicIdentity.fromRaw(fromBase64(answer.key)),
        fromWirePrekey(answer.prekey).key,
        utf8(JSON.stringify(body)),
      );
      await client.mail(to, toBase64(sealed));
    },
    async link(to, group, version) {
      const ready = to.events.find((e) => e.type === "ready")!;
      const [hostname, port] = String(ready.listen).split(":");
      const conn = await Deno.connect({ hostname, port: Number(port) });
      const channel: SecureChannel = await initiateChannel(connTransport(conn), identity, {
        expectedPeer: String(ready.fingerprint).replaceAll(" ", "") as never,
      });
      await channel.send(
        encodePeerMessage({ type: "hello", name, purpose: "group", group, version }),
      );
      const first = await channel.receive(AbortSignal.timeout(5_000)).catch(() => null);
      const answer = first ? decodePeerMessage(first) : null;
      return {
        answer,
        send: (frame) => channel.send(encodeFrame(frame as GroupFrame)),
        async receive(ms = 5_000) {
          const bytes = await channel.receive(AbortSignal.timeout(ms)).catch(() => null);
          return bytes ? decodeFrameBytes(bytes) : null;
        },
        close: () => channel.close(),
      };
    },
    close: () => client.bye(),
  };
}
