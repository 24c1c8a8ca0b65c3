/**
 * Puts the interface's words into the events that carry only facts before
 * they reach a sink that prints `message` as it comes (the terminal): an
 * `error` raised by the client gets its sentence from words.ts.
 *
 * @module
 */
import type { ClientEvent, EventSink } from "../core/mod.ts";
import { errorText } from "./error_words.ts";

/** `event` with the words its facts call for: an error's `message`. */
export function worded(event: ClientEvent): ClientEvent {
  return event.type === "error" && event.about ? { ...event, message: errorText(event) } : event;
}

/** A sink that passes every event to `sink` worded. */
export function wordedSink(sink: EventSink): EventSink {
  return { emit: (event) => sink.emit(worded(event)) };
}
