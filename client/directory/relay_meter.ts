/**
 * Files (issue 23): what a relayed chat still may carry. The directory's
 * relay cuts a chat that carries more than its byte budget, both ways
 * together (`serve --relay-max-bytes`, docs/protocol.md §11); its token
 * reply and offer say how much that is. The client counts the bytes of each
 * relayed connection as the relay does (everything after its Ready frame,
 * both ways), so a file that would not fit is refused up front.
 *
 * @example
 * ```ts
 * import { RelayMeters } from "./relay_meter.ts";
 * import { memoryPair } from "../../crypto/mod.ts";
 *
 * const meters = new RelayMeters();
 * meters.budget("ab".repeat(16), 1000);
 * const [a] = memoryPair();
 * const counted = meters.count("ab".repeat(16), a);
 * await counted.write(new Uint8Array(100));
 * console.log(meters.left("ab".repeat(16))); // 900
 * ```
 *
 * @module
 */
import type { Transport } from "../../crypto/mod.ts";

/** Relayed connections remembered at once (the directory allows a few per user). */
export const MAX_METERS = 64;

type Meter = { budget?: number; carried: number };

/** The byte counts of relayed connections, by token. */
export class RelayMeters {
  readonly #meters = new Map<string, Meter>();

  /** The relay said it carries `budget` bytes for the chat joining with `token`. */
  budget(token: string, budget: number | undefined): void {
    this.#meter(token).budget = budget;
  }

  /** `transport` (joined with `token`), its bytes counted both ways. */
  count(token: string, transport: Transport): Transport {
    const meter = this.#meter(token);
    return {
      async read(signal) {
        const chunk = await transport.read(signal);
        if (chunk) meter.carried += chunk.length;
        return chunk;
      },
      write(bytes) {
        meter.carried += bytes.length;
        return transport.write(bytes);
      },
      close: () => transport.close(),
    };
  }

  /** The bytes the relay will still carry for `token`'s chat, if it said its budget. */
  left(token: string): number | undefined {
    const meter = this.#meters.get(token);
    if (meter?.budget === undefined) return undefined;
    return Math.max(0, meter.budget - meter.carried);
  }

  #meter(token: string): Meter {
    let meter = this.#meters.get(token);
    if (!meter) {
      meter = { carried: 0 };
      this.#meters.set(token, meter);
      if (this.#meters.size > MAX_METERS) this.#meters.delete(this.#meters.keys().next().value!);
    }
    return meter;
  }
}
