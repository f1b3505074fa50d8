// Builds sdk/ once per test file (tsc to sdk/dist): the CLI is tested as users run it, compiled, without tsx.
import { execFile } from "node:child_process";
import { mkdir, readdir, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const CLI = "sdk/dist/cli/main.js";

/** The newest modification time under a directory (0 when it does not exist). */
async function newest(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const times = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).mtimeMs));
  return Math.max(0, ...times);
}

/**
 * Compiles sdk/ unless sdk/dist is newer than its sources. Test files run in parallel, so one builds under a lock
 * (a directory, created atomically) and the others wait, then find it fresh: no CLI runs while tsc rewrites it.
 */
export async function buildSdk(): Promise<void> {
  const lock = "sdk/.build-lock";
  for (let waited = 0; ; waited += 200) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A lock older than the longest build was left by a killed run: take it over.
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 300_000) await rmdir(lock).catch(() => {});
      if (waited > 170_000) throw new Error(`${lock} held for minutes; remove it if no test runs`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const sources = Math.max(await newest("sdk/src"), (await stat("sdk/tsconfig.json")).mtimeMs);
    if ((await newest("sdk/dist")) < sources) await run("npm", ["run", "-s", "sdk:build"], { timeout: 170_000 });
  } finally {
    await rmdir(lock);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the compiled CLI with only the environment given (no EDGEFAX_* from the developer's shell). */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = performance.now();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("EDGEFAX_"))) as NodeJS.ProcessEnv;
  const result = await run(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  return { ...result, ms: performance.now() - started };
}
