/**
 * `deno run --allow-read bench/profile_top.ts FILE.cpuprofile [--top 15]`:
 * the top entries of a V8 CPU profile (as `deno run --cpu-prof` writes, and
 * `LOAD_PROFILE=DIR deno task load` has each `serve` instance write) by self
 * time, each as a share of the profile's wall time, with where it is
 * defined. What the README's profiles of the directory come from.
 */
import { parseArgs } from "node:util";

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { top: { type: "string", default: "15" } },
});
if (positionals.length !== 1) {
  console.error("usage: profile_top.ts FILE.cpuprofile [--top N]");
  Deno.exit(2);
}
const profile: Profile = JSON.parse(await Deno.readTextFile(positionals[0]));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  const frame = byId.get(id)!.callFrame;
  const where = frame.url
    ? ` ${frame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "")}:${frame.lineNumber + 1}`
    : "";
  const key = `${frame.functionName || "(anonymous)"}${where}`;
  self.set(key, (self.get(key) ?? 0) + delta);
});
console.log(`${(total / 1e6).toFixed(1)} s of wall time, ${profile.samples.length} samples`);
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
for (const [key, micros] of top) {
  console.log(`${(100 * micros / total).toFixed(1).padStart(5)}%  ${key}`);
}
