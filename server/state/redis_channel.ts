/**
 * How instances sharing Redis tell each other things: each listens on its
 * own pub/sub channel `c:<instance>` for messages about one of its
 * sessions, named by name key and session id: a newer session elsewhere
 * replaced it, mail arrived for it, or a relay offer is waiting.
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { NameKey } from "../../protocol/mod.ts";

/** A message to one session of another instance. */
export type InstanceMessage =
  | { readonly t: "replace"; readonly key: NameKey; readonly x: string }
  | { readonly t: "mail"; readonly key: NameKey; readonly x: string }
  | {
    readonly t: "offer";
    readonly key: NameKey;
    readonly x: string;
    readonly from: string;
    readonly token: string;
    readonly relay: string;
    /** Files (issue 23): the relay's byte budget for the chat. */
    readonly budget?: number;
  };

/** The channels of the instances under one prefix. */
export class InstanceChannels {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;

  /**
   * Publishes through `redis`, listens through `sub` (a connection of its own).
   * @internal
   */
  constructor(redis: Redis, sub: Redis, prefix: string) {
    this.#redis = redis;
    this.#sub = sub;
    this.#prefix = prefix;
  }

  #channel(instance: string): string {
    return `${this.#prefix}c:${instance}`;
  }

  /** Hands every message published for `instance` to `receive`. */
  async listen(instance: string, receive: (message: InstanceMessage) => void): Promise<void> {
    await this.#sub.subscribe(this.#channel(instance));
    this.#sub.on("message", (_channel, text: string) => {
      let message: InstanceMessage;
      try {
        message = JSON.parse(text);
      } catch {
        return; // Only instances publish here; a message that is not JSON is no instance's.
      }
      receive(message);
    });
  }

  /** Publishes `message` to `instance`; returns how many listeners got it (0: it is gone). */
  async publish(instance: string, message: InstanceMessage): Promise<number> {
    return await this.#redis.publish(this.#channel(instance), JSON.stringify(message));
  }
}
