/**
 * What the client trusts about peers' keys (TOFU, docs/protocol.md §10): the
 * key pinned per name, whether its SAS was compared, and changed keys held
 * back until the user says /trust.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../crypto/mod.ts";
import { type Name, nameKey } from "../directory/mod.ts";
import { CommandError } from "./commands.ts";
import type { EventSink, KeyStatus } from "./events.ts";
import type { PinFile } from "./pin_file.ts";

/** Pins, verification marks and pending changed keys. */
export class PeerTrust {
  readonly #pins: PinFile;
  readonly #sink: EventSink;
  /** Changed keys seen (and refused), by folded name: what /trust would accept. */
  readonly #changed = new Map<string, Fingerprint>();

  constructor(pins: PinFile, sink: EventSink) {
    this.#pins = pins;
    this.#sink = sink;
  }

  /** How `fingerprint` relates to what is pinned for `name`. */
  status(name: Name, fingerprint: Fingerprint): KeyStatus | "changed" {
    const pin = this.#pins.get(nameKey(name));
    if (!pin) return "new";
    if (pin.fingerprint !== fingerprint) return "changed";
    return pin.verified ? "verified" : "pinned";
  }

  /** Whether `name` is verified with exactly this key. */
  isVerified(name: Name, fingerprint: string): boolean {
    const pin = this.#pins.get(nameKey(name));
    return pin?.verified === true && pin.fingerprint === fingerprint;
  }

  /** The pinned key of `name`, if any. */
  pinned(name: Name): { fingerprint: Fingerprint; verified: boolean } | undefined {
    return this.#pins.get(nameKey(name));
  }

  /** Pins `fingerprint` for `name` on first contact. */
  async pinFirstContact(name: Name, fingerprint: Fingerprint): Promise<void> {
    await this.#pins.set(nameKey(name), { fingerprint, verified: false });
  }

  /** Warns that `name` now shows another key and remembers it for /trust. */
  refuseChanged(name: Name, got: Fingerprint): void {
    const pin = this.#pins.get(nameKey(name))!;
    this.#changed.set(nameKey(name), got);
    this.#sink.emit({
      type: "security-warning",
      peer: name,
      reason: "key-changed",
      expected: pin.fingerprint,
      got,
      message:
        `${name}'s key changed: pinned ${formatFingerprint(pin.fingerprint)}, now ${
          formatFingerprint(got)
        }. ` +
        `Someone may be impersonating ${name}. Chats with ${name} are refused until you confirm with them ` +
        `out of band and type /trust ${name}`,
    });
  }

  /** /verify: records that the SAS (or fingerprint) was compared. */
  async verify(name: Name): Promise<void> {
    const pin = this.#pins.get(nameKey(name));
    if (!pin) {
      throw new CommandError(`No key pinned for ${name}: open a chat and compare the SAS first`);
    }
    await this.#pins.set(nameKey(name), { fingerprint: pin.fingerprint, verified: true });
    this.#sink.emit({ type: "verified", peer: name, fingerprint: pin.fingerprint });
  }

  /** /trust: accepts the changed key last refused for `name`. */
  async trust(name: Name): Promise<void> {
    const fingerprint = this.#changed.get(nameKey(name));
    if (!fingerprint) throw new CommandError(`No changed key to trust for ${name}`);
    this.#changed.delete(nameKey(name));
    await this.#pins.set(nameKey(name), { fingerprint, verified: false });
    this.#sink.emit({ type: "trusted", peer: name, fingerprint });
  }
}
