/**
 * The benchmark's server side, in a process of its own so that client and
 * server each get a core: prints its ports as one JSON line, then serves
 * until killed.
 */
import { startBenchServers } from "./transports.ts";

console.log(JSON.stringify(await startBenchServers()));
