/**
 * What the client trusts about peers' keys (TOFU, docs/protocol.md §10): the
 * key pinned per name on a given directory, whether its SAS was compared,
 * and the changed keys held back until the user says /trust. It is the
 * {@linkcode TrustView} the trust rules read, and carries out the pins they
 * ask for.
 *
 * Pins are kept per directory, under `<directory fingerprint>/<folded name>`:
 * a name on one directory says nothing about the same name on another.
 * Pins made before that (keyed by the name alone) are still honoured, and
 * replaced under the new key the next time the name is pinned.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import { type Name, nameKey } from "../../protocol/mod.ts";
import { CommandError } from "../core/mod.ts";
import type { Pin, PinFile } from "./pin_file.ts";
import type { TrustView } from "./trust_rules.ts";

/** Pins, verification marks and pending changed keys for one directory. */
export class PeerTrust implements TrustView {
  /** Your own name and key: never pinned as a peer's. */
  readonly self: { readonly name: Name; readonly fingerprint: Fingerprint };
  readonly #pins: PinFile;
  readonly #directory: Fingerprint;
  /** Changed keys seen (and refused), by folded name: what /trust would accept. */
  readonly #changed = new Map<string, Fingerprint>();

  /** Pins in `pins` for peers met through the directory with key `directory`, as `self`. */
  constructor(
    pins: PinFile,
    directory: Fingerprint,
    self: { readonly name: Name; readonly fingerprint: Fingerprint },
  ) {
    this.#pins = pins;
    this.#directory = directory;
    this.self = self;
  }

  #key(name: Name): string {
    return `${this.#directory}/${nameKey(name)}`;
  }

  /** The pin for `name` on this directory, if any. */
  pin(name: Name): Pin | undefined {
    return this.#pins.get(this.#key(name)) ?? this.#pins.get(nameKey(name));
  }

  /**
   * Other names `fingerprint` is pinned under on this directory (folded),
   * when it is not pinned under `name`: a directory listing a known key
   * under a new name is passing one person off as another.
   */
  pinnedUnderOtherNames(name: Name, fingerprint: Fingerprint): string[] {
    if (this.pin(name)?.fingerprint === fingerprint) return [];
    const prefix = `${this.#directory}/`;
    const names: string[] = [];
    for (const [key, pin] of this.#pins.entries()) {
      if (pin.fingerprint !== fingerprint) continue;
      const other = key.startsWith(prefix)
        ? key.slice(prefix.length)
        : key.includes("/")
        ? ""
        : key;
      if (other && other !== nameKey(name)) names.push(other);
    }
    return names;
  }

  /** Whether `name` is verified with exactly this key. */
  isVerified(name: Name, fingerprint: string): boolean {
    const pin = this.pin(name);
    return pin?.verified === true && pin.fingerprint === fingerprint;
  }

  /**
   * Pins `fingerprint` for `name` on first contact: at once for every later
   * decision, on disk when the returned promise resolves. Your own name or
   * key is a bug to pin (the rules never ask): RangeError.
   */
  pinFirstContact(name: Name, fingerprint: Fingerprint): Promise<void> {
    if (nameKey(name) === nameKey(this.self.name) || fingerprint === this.self.fingerprint) {
      throw new RangeError("Your own key is never pinned as a peer's");
    }
    return this.#pins.set(this.#key(name), { fingerprint, verified: false });
  }

  /** Remembers a changed key that was refused, so that /trust can accept it. */
  noteChanged(name: Name, got: Fingerprint): void {
    this.#changed.set(nameKey(name), got);
  }

  /** /verify: records that the SAS (or fingerprint) was compared; returns the pin. */
  async verify(name: Name): Promise<Pin> {
    const pin = this.pin(name);
    if (!pin) throw new CommandError({ code: "bad-command", problem: "no-pin", peer: name });
    const verified = { fingerprint: pin.fingerprint, verified: true };
    await this.#pins.set(this.#key(name), verified);
    return verified;
  }

  /** /trust: accepts the changed key last refused for `name`; returns it. */
  async trust(name: Name): Promise<Fingerprint> {
    const fingerprint = this.#changed.get(nameKey(name));
    if (!fingerprint) {
      throw new CommandError({ code: "bad-command", problem: "no-changed-key", peer: name });
    }
    this.#changed.delete(nameKey(name));
    await this.#pins.set(this.#key(name), { fingerprint, verified: false });
    return fingerprint;
  }
}
