/**
 * The interactive interface in a real pseudo-terminal (util-linux `script`):
 * an incoming message never garbles what the user is typing.
 */
import { assert, assertEquals } from "./assert.ts";
import { startClient } from "../harness/client_process.ts";
import { startServe } from "../harness/serve_process.ts";
import { MAIN } from "../harness/run_cli.ts";

async function hasScript(): Promise<boolean> {
  try {
    return (await new Deno.Command("script", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

const missing = !await hasScript();
if (missing) {
  console.warn(
    "terminal_test skipped: util-linux `script` is not installed (apt-get install bsdutils)",
  );
}

Deno.test({
  name:
    "terminal: an incoming message is printed above the prompt and the half-typed line is redrawn",
  ignore: missing,
  async fn() {
    const server = await startServe();
    const home = await Deno.makeTempDir();
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MAIN,
      "connect",
      "--name",
      "bob",
      "--server",
      `127.0.0.1:${server.port}`,
      "--home",
      home,
      "--listen",
      "127.0.0.1:0",
      "--auto-accept",
    ].join(" ");
    const terminal = new Deno.Command("script", {
      args: ["-qfec", command, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { TERM: "xterm", NO_COLOR: "1" },
    }).spawn();
    let screen = "";
    const reading = (async () => {
      for await (const chunk of terminal.stdout.pipeThrough(new TextDecoderStream())) {
        screen += chunk;
      }
    })();
    const keys = terminal.stdin.getWriter();
    const until = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 150 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
      assert(check(), `timed out; the screen so far:\n${screen}`);
    };
    const alice = await startClient("alice", server.port);
    try {
      await until(() => screen.includes("You are bob"));
      await alice.waitFor((e) => e.type === "ready");
      await alice.send("/chat bob");
      await alice.waitFor((e) => e.type === "chat-open");
      await until(() => screen.includes("Chat with alice open"));
      await keys.write(new TextEncoder().encode("half typ"));
      await until(() => screen.includes("half typ"));
      const mark = screen.length;
      await alice.send("incoming while typing");
      await until(() => /incoming while typing[\s\S]*bob→alice> half typ/.test(screen.slice(mark)));
      await keys.write(new TextEncoder().encode("ed\r"));
      assertEquals((await alice.waitFor((e) => e.type === "message")).text, "half typed");
      const beforeEnd = screen.length;
      await keys.write(new TextEncoder().encode("EOM\r"));
      // Once the chat has ended, the prompt no longer names it.
      await until(() => /You ended the chat[\s\S]*bob> /.test(screen.slice(beforeEnd)));
    } finally {
      terminal.kill();
      await terminal.status;
      await reading.catch(() => {});
      await alice.kill();
      await server.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
