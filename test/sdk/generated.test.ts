// The SDK's generated types match the Worker's /openapi.json (CI fails on a stale sdk/src/generated/openapi.ts),
// and the SDK's core runs anywhere fetch does: nothing outside node.ts and cli/ imports from node:.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./build";

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

describe("sdk/", () => {
  it("has generated types up to date with /openapi.json (npm run sdk:generate -- --check)", async () => {
    const { stdout } = await run("npm", ["run", "-s", "sdk:generate", "--", "--check"], { timeout: 120_000 });
    expect(stdout).toContain("up to date");
  }, 130_000);

  it("imports nothing from node: and no package in its core (Workers, Deno, browsers)", async () => {
    const core = (await sources("sdk/src")).filter((file) => !/sdk\/src\/(node\.ts|cli\/)/.test(file));
    expect(core.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const file of core) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
        if (!match[1]!.startsWith(".")) offending.push(`${relative("sdk/src", file)}: ${match[1]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("declares no runtime dependencies", async () => {
    const manifest = JSON.parse(await readFile("sdk/package.json", "utf8")) as Record<string, unknown>;
    expect([manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies]).toEqual([undefined, undefined, undefined]);
    expect(manifest.bin).toEqual({ edgefax: "./dist/cli/main.js" });
  });
});
