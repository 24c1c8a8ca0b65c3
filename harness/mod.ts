/**
 * Running real p2pchat processes, for the black-box tests in `tests/` and
 * the benchmarks in `bench/` alike: `serve` and `connect --json` as
 * subprocesses on loopback (or in a network namespace), their output read
 * line by line, metrics scraped, everything killed at the end.
 *
 * @module
 */
export { type ClientProcess, type ClientSetup, type Event, startClient } from "./client_process.ts";
export { eachLine, firstLines, killAll, scrape, stopAll } from "./process_io.ts";
export { MAIN, runCli, type RunResult } from "./run_cli.ts";
export { eventually, type ServeProcess, type ServeSetup, startServe } from "./serve_process.ts";
export { redisMissing, type RedisProcess, startRedis } from "./redis_process.ts";
