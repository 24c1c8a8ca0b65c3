/**
 * An active attacker for tests: sits between two in-memory transports, splits
 * each direction into frames and lets a hook drop, repeat, reorder or alter
 * them before they go on.
 *
 * @module
 */
import { FrameDecoder, memoryPair, type Transport } from "../crypto/mod.ts";

/** Which way a frame travels. */
export type Direction = "a->b" | "b->a";

/**
 * Decides what to forward for the `index`-th frame in `direction`: the frames
 * to send on (possibly none, altered or extra), or "hold" to keep it for later
 * release with the next call's result.
 */
export type FrameHook = (direction: Direction, index: number, frame: Uint8Array) => Uint8Array[];

/** Two transports whose traffic passes through `hook`; `wire` records every byte forwarded. */
export function interceptedPair(
  hook: FrameHook,
): { a: Transport; b: Transport; wire: Uint8Array[] } {
  const [a, aSide] = memoryPair();
  const [bSide, b] = memoryPair();
  const wire: Uint8Array[] = [];
  const pump = async (from: Transport, to: Transport, direction: Direction): Promise<void> => {
    const decoder = new FrameDecoder();
    let index = 0;
    try {
      while (true) {
        const chunk = await from.read();
        if (chunk === null) break;
        decoder.push(chunk);
        for (let frame = decoder.next(1 << 20); frame; frame = decoder.next(1 << 20)) {
          for (const out of hook(direction, index++, frame.bytes.slice())) {
            wire.push(out);
            await to.write(out);
          }
        }
      }
    } catch {
      // One side went away; the other sees the close below.
    }
    to.close();
  };
  pump(aSide, bSide, "a->b");
  pump(bSide, aSide, "b->a");
  return { a, b, wire };
}

/** Forwards every frame unchanged. */
export const passThrough: FrameHook = (_direction, _index, frame) => [frame];
