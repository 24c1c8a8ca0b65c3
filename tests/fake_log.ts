/**
 * A key-transparency log for the fake directory (docs/protocol.md §15),
 * built from the real primitives (transparency/) in memory: it binds
 * names, signs a checkpoint after each change, and answers proofs and the
 * log's requests. A lying directory logs what it wants: it can log the key
 * it shows (the lie a log lets the owner see), prove only the truth while
 * showing a lie, keep two histories (fork()), or have its answers altered
 * on the way out by the test.
 *
 * @module
 */
import { type Identity, toBase64 } from "../crypto/mod.ts";
import {
  BindingMap,
  decodeValue,
  encodeBindingProof,
  encodeCheckpoint,
  encodeEntry,
  encodeHashes,
  encodeValue,
  leafHash,
  type LogEntry,
  mapPath,
  MemoryLog,
  sameBytes,
  signCheckpoint,
  type SignedCheckpoint,
  valueOf,
} from "../transparency/mod.ts";

/** One history of a fake directory's log. */
export class FakeLog {
  readonly #signer: Identity;
  readonly #clock: () => number;
  readonly #tree = new MemoryLog();
  readonly #map = new BindingMap();
  readonly #entries: Uint8Array[] = [];
  /** Every checkpoint signed, oldest first (a test replays an old one). */
  readonly checkpoints: SignedCheckpoint[] = [];

  /** A log signed by `signer`. */
  constructor(signer: Identity, clock: () => number = Date.now) {
    this.#signer = signer;
    this.#clock = clock;
    this.#sign();
  }

  /** Entries in the log. */
  get size(): number {
    return this.#entries.length;
  }

  /** The latest checkpoint, as it travels. */
  get checkpoint(): string {
    return encodeCheckpoint(this.checkpoints[this.checkpoints.length - 1]);
  }

  /** Binds the folded `name` to `key`, unless the log binds it so already (a lapse first, if bound). */
  ensure(name: string, key: Uint8Array): void {
    const folded = name.toLowerCase();
    // A name or key no entry can hold (a lie the client refuses on sight) is not logged.
    if (!/^[a-z0-9_.-]{1,32}$/.test(folded) || key.length !== 32) return;
    const bytes = this.#map.get(mapPath(folded));
    const value = bytes && decodeValue(bytes);
    if (value?.state === "bound" && sameBytes(value.key, key)) return;
    const time = this.#clock();
    if (value?.state === "bound") {
      this.#append({ kind: "lapse", name: folded, key: value.key, time, count: value.count });
    }
    this.#append({ kind: "bind", name: folded, key, time, count: (value?.count ?? 0) + 1 });
    this.#sign();
  }

  /** Appends `entry` as it is, whatever the rules say (a test makes a log that breaks them). */
  appendRaw(entry: LogEntry): void {
    this.#append(entry);
    this.#sign();
  }

  /** The binding proof of the folded `name` in the latest checkpoint. */
  proof(name: string): string {
    const path = mapPath(name.toLowerCase());
    const bytes = this.#map.get(path);
    return encodeBindingProof({ value: bytes && decodeValue(bytes), proof: this.#map.prove(path) });
  }

  /** The consistency proof between two sizes; RangeError past the log's size. */
  consistency(from: number, to: number): string {
    if (from > to || to > this.size) throw new RangeError(`not in a log of ${this.size}`);
    return encodeHashes(this.#tree.consistencyProof(from, to));
  }

  /** Entries `from` onward, at most `count`. */
  entries(from: number, count: number): string[] {
    return this.#entries.slice(from, from + count).map(toBase64);
  }

  /** The folded `name`'s entries from index `from` on, with inclusion proofs. */
  history(name: string, from: number): { index: number; entry: string; proof: string }[] {
    const folded = name.toLowerCase();
    const out = [];
    for (let index = from; index < this.size; index++) {
      const bytes = this.#entries[index];
      if (new TextDecoder().decode(bytes.subarray(46)) !== folded) continue;
      out.push({
        index,
        entry: toBase64(bytes),
        proof: encodeHashes(this.#tree.inclusionProof(index, this.size)),
      });
    }
    return out;
  }

  /** A second history that starts as a copy of this one: a fork. */
  fork(): FakeLog {
    const copy = new FakeLog(this.#signer, this.#clock);
    copy.checkpoints.length = 0;
    for (const bytes of this.#entries) copy.#appendBytes(bytes);
    copy.checkpoints.push(...this.checkpoints);
    return copy;
  }

  #append(entry: LogEntry): void {
    this.#appendBytes(encodeEntry(entry));
  }

  #appendBytes(bytes: Uint8Array): void {
    const entry = {
      kind: bytes[0] === 1 ? "bind" : "lapse",
      name: new TextDecoder().decode(bytes.subarray(46)),
      key: bytes.slice(13, 45),
      time: 0,
      count: new DataView(bytes.buffer, bytes.byteOffset).getUint32(1),
    } as const;
    this.#entries.push(bytes);
    this.#tree.append(leafHash(bytes));
    this.#map.set(mapPath(entry.name), encodeValue(valueOf(entry)));
  }

  #sign(): void {
    this.checkpoints.push(signCheckpoint(this.#signer, {
      size: this.size,
      logRoot: this.#tree.root(),
      mapRoot: this.#map.root(),
      time: this.#clock(),
    }));
  }
}
