import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { parseName } from "../../protocol/mod.ts";
import { type ChatRequest, RequestBook, type RequestEnd } from "./requests.ts";

const alice = parseName("alice");
const bob = parseName("bob");

Deno.test("RequestBook: a request is pending until it ends, once, in one state", () => {
  const book = new RequestBook<string>({
    maxIncoming: 2,
    perSource: 0,
    ttlMs: 100,
    sourceOf: () => "here",
  });
  const shown = book.incoming(alice, "first", 0);
  assert("request" in shown);
  assertEquals(shown.request.state, "pending");
  assertEquals(book.end(shown.request.id, "accepted")?.state, "accepted");
  assertEquals(book.end(shown.request.id, "declined"), undefined, "it ended already");
  assertEquals(shown.request.state, "accepted");
});

Deno.test("RequestBook: a newer request from the same name supersedes the older", () => {
  const book = new RequestBook<string>({
    maxIncoming: 1,
    perSource: 0,
    ttlMs: 100,
    sourceOf: () => "here",
  });
  const first = book.incoming(alice, "first", 0);
  const second = book.incoming(parseName("ALICE"), "second", 1);
  assert("request" in first && "request" in second);
  assertEquals(second.superseded?.id, first.request.id);
  assertEquals(first.request.state, "superseded");
  assertEquals(book.find("incoming", alice)?.detail, "second");
});

Deno.test("RequestBook: past the bound an incoming request is busy; outgoing ones do not count", () => {
  const book = new RequestBook<string>({
    maxIncoming: 1,
    perSource: 0,
    ttlMs: 100,
    sourceOf: () => "here",
  });
  book.incoming(alice, "a", 0);
  book.outgoing(bob, "b", 0);
  assertEquals(book.incoming(parseName("carol"), "c", 0), { busy: true });
  assertEquals(book.pending().length, 2);
});

Deno.test("RequestBook: one source holds at most perSource requests, and when full a newcomer from a quieter source evicts the busiest source's oldest", () => {
  const book = new RequestBook<string>({
    maxIncoming: 4,
    perSource: 3,
    ttlMs: 100,
    sourceOf: (detail) => detail.split("/")[0],
  });
  const names = ["m1", "m2", "m3", "m4", "a", "b", "c"].map(parseName);
  for (const name of names.slice(0, 3)) {
    assert("request" in book.incoming(name, `10.0.0.9/${name}`, 0));
  }
  assertEquals(book.incoming(names[3], "10.0.0.9/m4", 0), { busy: true }, "per-source cap");
  assert("request" in book.incoming(names[4], "10.0.0.1/a", 0));
  // Full (4): b's source holds none, mallory's three: her oldest makes room.
  const b = book.incoming(names[5], "10.0.0.2/b", 1);
  assert("request" in b);
  assertEquals([b.evicted?.name, b.evicted?.state], ["m1", "evicted"]);
  // Now 2, 1, 1: nobody holds two more than c's 0 + 1... m still does (2 >= 0 + 2).
  const c = book.incoming(names[6], "10.0.0.3/c", 2);
  assert("request" in c && c.evicted?.name === "m2");
  // 1, 1, 1, 1: a fifth source finds nobody with two more: busy.
  assertEquals(book.incoming(parseName("d"), "10.0.0.4/d", 3), { busy: true });
  assertEquals(book.pending().map((r) => r.name), ["m3", "a", "b", "c"]);
});

Deno.test("RequestBook: a second outgoing request to one name is refused; requests expire on time", () => {
  const book = new RequestBook<string>({
    maxIncoming: 4,
    perSource: 0,
    ttlMs: 100,
    sourceOf: () => "here",
  });
  const first = book.outgoing(bob, "b", 0);
  assert("request" in first);
  assertEquals("already" in book.outgoing(bob, "again", 10), true);
  book.incoming(alice, "a", 50);
  assertEquals(book.nextExpiry(), 100);
  assertEquals(book.expire(99), []);
  assertEquals(book.expire(100).map((r) => r.name), ["bob"]);
  assertEquals(book.expire(150).map((r) => r.state), ["expired"]);
  assertEquals(book.pending(), []);
});

Deno.test("property: every request ends in exactly one terminal state, and stays there", () => {
  const names = ["alice", "bob", "carol"].map(parseName);
  const ends: RequestEnd[] = [
    "accepted",
    "declined",
    "expired",
    "superseded",
    "evicted",
    "cancelled",
  ];
  const op = fc.oneof(
    fc.record({ kind: fc.constant("in"), who: fc.nat(2) }),
    fc.record({ kind: fc.constant("out"), who: fc.nat(2) }),
    fc.record({ kind: fc.constant("end"), pick: fc.nat(20), how: fc.constantFrom(...ends) }),
    fc.record({ kind: fc.constant("tick"), by: fc.nat(60) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const book = new RequestBook<number>({
        maxIncoming: 2,
        perSource: 0,
        ttlMs: 100,
        sourceOf: () => "here",
      });
      const seen: ChatRequest<number>[] = [];
      const endings = new Map<number, string>();
      let now = 0;
      const record = (request: ChatRequest<number> | undefined) => {
        if (!request) return;
        assert(!endings.has(request.id), `request ${request.id} ended twice`);
        endings.set(request.id, request.state);
      };
      for (const o of ops) {
        if (o.kind === "in") {
          const r = book.incoming(names[o.who], 0, now);
          if ("request" in r) {
            seen.push(r.request);
            record(r.superseded);
            record(r.evicted);
          }
        } else if (o.kind === "out") {
          const r = book.outgoing(names[o.who], 0, now);
          if ("request" in r) seen.push(r.request);
        } else if (o.kind === "end") {
          const target = seen[o.pick % Math.max(1, seen.length)];
          if (target) record(book.end(target.id, o.how));
        } else {
          now += o.by;
          book.expire(now).forEach(record);
        }
        assert(book.pending().filter((r) => r.direction === "incoming").length <= 2);
      }
      book.pending().forEach((r) => record(book.end(r.id, "cancelled")));
      for (const request of seen) {
        assertEquals(endings.get(request.id), request.state, "ended once, and it shows");
        assert(request.state !== "pending");
      }
    }),
    { numRuns: 500 },
  );
});
