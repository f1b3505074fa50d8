/**
 * How the CLI writes: `--json` prints one JSON document per line (stable for scripts); otherwise plain lines
 * when stdout is not a terminal (logs, pipes, CI), and a single line redrawn in place on a terminal.
 */
export interface Output {
  json: boolean;
  tty: boolean;
  /** A line of the result (stdout). */
  line(text: string): void;
  /** A JSON document, one per line (stdout). */
  data(value: unknown): void;
  /** Progress: redrawn in place on a TTY, one line per change otherwise; nothing with --json. */
  status(text: string): void;
  /** Ends a status line so the next output starts on a fresh line. */
  settle(): void;
  /** A message for a human (stderr). */
  note(text: string): void;
}

export function createOutput(options: { json: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const tty = Boolean(stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
  let pending = false;
  let lastStatus = "";
  const settle = () => {
    if (pending) stdout.write("\n");
    pending = false;
  };
  return {
    json: options.json,
    tty,
    line(text) {
      settle();
      stdout.write(`${text}\n`);
    },
    data(value) {
      settle();
      stdout.write(`${JSON.stringify(value)}\n`);
    },
    status(text) {
      if (options.json || text === lastStatus) return;
      lastStatus = text;
      if (tty) {
        stdout.write(`\r\x1b[2K${text}`);
        pending = true;
      } else stdout.write(`${text}\n`);
    },
    settle,
    note(text) {
      settle();
      stderr.write(`${text}\n`);
    },
  };
}
