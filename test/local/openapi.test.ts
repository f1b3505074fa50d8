// The OpenAPI document that `npm start` serves passes Spectral's recommended OpenAPI rules
// (`spectral:oas`, the ruleset in .spectral.yaml) with no errors.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server";

const run = promisify(execFile);

describe("the OpenAPI document", () => {
  let stateDir: string;
  let platform: LocalPlatform;

  beforeAll(async () => {
    stateDir = await makeStateDir();
    platform = await startLocalPlatform({ stateDir });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    await removeStateDir(stateDir);
  });

  it("passes Spectral's recommended rules with no errors", async () => {
    const spec = await (await fetch(`${platform.url}/openapi.json`)).text();
    const file = path.join(stateDir, "openapi.json");
    await writeFile(file, spec);
    // Spectral exits non-zero when it finds errors; the JSON report says which.
    const result = await run("node_modules/.bin/spectral", ["lint", file, "--ruleset", ".spectral.yaml", "--format", "json", "--quiet", "--fail-severity", "error"]).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? "", failed: error.code }),
    );
    const findings = JSON.parse(result.stdout || "[]") as { code: string; severity: number; message: string; path: string[] }[];
    const errors = findings.filter((f) => f.severity === 0);
    expect(errors.map((e) => `${e.code} at ${e.path.join(".")}: ${e.message}`)).toEqual([]);
    // The document under test is the real one.
    expect(JSON.parse(spec).paths["/v1/faxes"]).toBeTruthy();
  }, 60_000);
});
