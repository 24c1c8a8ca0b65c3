/**
 * A real terminal for tests: a detached tmux session of a given size runs a
 * command; keys are sent as a person types them, and the screen is read back
 * as tmux renders it (wrapping, wide characters, cursor movement and all).
 *
 * @module
 */

/** Whether tmux can be used here, or why not. */
export async function tmuxMissing(): Promise<string | null> {
  try {
    const { success } = await new Deno.Command("tmux", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success ? null : "tmux does not run";
  } catch {
    return "tmux is not installed (.ci/setup installs it)";
  }
}

/** One terminal. */
export type Terminal = {
  /** Types `text` (literally; no key names). */
  type(text: string): Promise<void>;
  /** Presses named keys: `Enter`, `C-c`, `C-d`, `BSpace`, … */
  press(...keys: string[]): Promise<void>;
  /** The visible screen, one string per row (trailing spaces trimmed). */
  screen(): Promise<string[]>;
  /** The screen with wrapped rows joined back into lines. */
  lines(): Promise<string[]>;
  /** The pane's title, which OSC escape sequences would change. */
  title(): Promise<string>;
  /** Waits until `check(screen rows)` holds; throws with the screen after `ms`. */
  waitFor(check: (rows: string[]) => boolean, ms?: number): Promise<string[]>;
  /** Where the cursor is: column and row, from 0 at the top left of the screen. */
  cursor(): Promise<{ column: number; row: number }>;
  /** Resizes the terminal (the program gets SIGWINCH). */
  resize(columns: number, rows: number): Promise<void>;
  /**
   * The terminal's line discipline now, as `stty` names its modes: `icanon`,
   * `echo` and `isig` when cooked, `-icanon`, `-echo`, `-isig` when raw.
   */
  modes(): Promise<string[]>;
  /** The process id of the program (the shell's child). */
  pid(): Promise<number>;
  /** Ends the session. */
  close(): Promise<void>;
};

async function tmux(socket: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * Runs `command` (an argv) in a `columns` × `rows` terminal. When it exits, the
 * screen shows `[exit N]` and the session stays until close().
 */
export async function openTerminal(
  command: string[],
  size: { columns: number; rows: number },
  env: Record<string, string> = {},
): Promise<Terminal> {
  const socket = `p2pchat-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const quoted = command.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  const exports = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(" ");
  await tmux(socket, [
    "new-session",
    "-d",
    "-x",
    String(size.columns),
    "-y",
    String(size.rows),
    `env ${exports} ${quoted}; echo "[exit $?]"; sleep 30`,
  ]);
  await tmux(socket, ["set-option", "-g", "status", "off"]);
  const terminal: Terminal = {
    async type(text) {
      await tmux(socket, ["send-keys", "-l", "--", text]);
    },
    async press(...keys) {
      await tmux(socket, ["send-keys", ...keys]);
    },
    async screen() {
      const text = await tmux(socket, ["capture-pane", "-p"]);
      return text.split("\n").map((row) => row.trimEnd());
    },
    async lines() {
      const text = await tmux(socket, ["capture-pane", "-p", "-J"]);
      return text.split("\n").map((row) => row.trimEnd());
    },
    async title() {
      return (await tmux(socket, ["display-message", "-p", "#{pane_title}"])).trim();
    },
    async waitFor(check, ms = 15_000) {
      const deadline = Date.now() + ms;
      let rows = await terminal.screen();
      while (!check(rows)) {
        if (Date.now() > deadline) {
          throw new Error(`the screen never matched; it shows:\n${rows.join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 100));
        rows = await terminal.screen();
      }
      return rows;
    },
    async cursor() {
      const [column, row] =
        (await tmux(socket, ["display-message", "-p", "#{cursor_x} #{cursor_y}"]))
          .trim().split(" ").map(Number);
      return { column, row };
    },
    async resize(columns, rows) {
      await tmux(socket, ["resize-window", "-x", String(columns), "-y", String(rows)]);
    },
    async modes() {
      const tty = (await tmux(socket, ["display-message", "-p", "#{pane_tty}"])).trim();
      const out = await new Deno.Command("stty", { args: ["-a", "-F", tty], stdout: "piped" })
        .output();
      return new TextDecoder().decode(out.stdout).split(/[\s;]+/)
        .filter((mode) => /^-?(icanon|echo|isig)$/.test(mode));
    },
    async pid() {
      const shell = (await tmux(socket, ["display-message", "-p", "#{pane_pid}"])).trim();
      const out = await new Deno.Command("ps", {
        args: ["-o", "pid=", "--ppid", shell],
        stdout: "piped",
      }).output();
      return Number(new TextDecoder().decode(out.stdout).trim().split("\n")[0]);
    },
    async close() {
      await tmux(socket, ["kill-server"]).catch(() => "");
    },
  };
  return terminal;
}
