import { assert, assertEquals } from "../tests/assert.ts";
import { UPGRADE_MAX_WAIT_MS, UPGRADE_WINDOW_MS, upgradeSchedule } from "./path_upgrade.ts";
import { behindNat } from "./app.ts";
import type { CheckedUser } from "./directory_check.ts";

Deno.test("upgradeSchedule() backs off from half a second, capped, within the window", () => {
  const waits = upgradeSchedule();
  assertEquals(waits.slice(0, 4), [500, 1000, 2000, 4000]);
  assert(waits.every((w) => w <= UPGRADE_MAX_WAIT_MS));
  assert(waits.reduce((a, b) => a + b, 0) <= UPGRADE_WINDOW_MS);
  assertEquals(upgradeSchedule(1000), [500]);
});

Deno.test("behindNat() reads the directory's view: only private announced addresses, none the one seen", () => {
  const user = (address: string, addresses: string[]) =>
    ({ address, addresses: [address, ...addresses] }) as unknown as CheckedUser;
  assertEquals(behindNat(user("198.51.100.7", ["192.168.1.20"])), true);
  assertEquals(behindNat(user("198.51.100.7", ["10.0.0.5", "fd00::5"])), true);
  assertEquals(behindNat(user("198.51.100.7", ["100.64.1.2"])), true, "carrier-grade NAT");
  assertEquals(behindNat(user("198.51.100.7", [])), false, "nothing announced: nothing known");
  assertEquals(behindNat(user("198.51.100.7", ["198.51.100.7"])), false, "seen as announced");
  assertEquals(behindNat(user("10.0.0.5", ["10.0.0.5"])), false, "same network as the directory");
  assertEquals(behindNat(user("198.51.100.7", ["203.0.113.9"])), false, "a public address");
});
