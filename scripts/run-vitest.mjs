// @ts-check
// Runs vitest suites one after another and closes with one plain line, "tests: N passed, N failed",
// summed over every suite (CI reads that line). Exit code: non-zero if any suite failed.
//   node scripts/run-vitest.mjs vitest.config.ts vitest.node.config.ts [-- extra vitest args]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const configs = dash >= 0 ? argv.slice(0, dash) : argv;
const extra = dash >= 0 ? argv.slice(dash + 1) : [];
const dir = mkdtempSync(path.join(tmpdir(), "vitest-"));
let passed = 0;
let failed = 0;
let exitCode = 0;

for (const [i, config] of configs.entries()) {
  const report = path.join(dir, `report-${i}.json`);
  const run = spawnSync(
    process.execPath,
    ["node_modules/vitest/vitest.mjs", "run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extra],
    { stdio: "inherit", env: process.env },
  );
  if (run.status !== 0) exitCode = run.status ?? 1;
  try {
    const json = JSON.parse(readFileSync(report, "utf8"));
    passed += json.numPassedTests ?? 0;
    failed += json.numFailedTests ?? 0;
  } catch {
    // A suite that crashed before reporting counts as a failure of the whole run.
    failed += 1;
    exitCode = exitCode || 1;
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
