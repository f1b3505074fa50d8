// README: "Requirements: Node 20 or later". npm warns (EBADENGINE) about every installed package
// whose `engines.node` leaves Node 20 out, so a clean install on Node 20 stays quiet only if every
// locked package accepts it. The lockfile records each package's engines.
import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const lock = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "..", "package-lock.json"), "utf8")) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

function refusing(nodeVersion: string): string[] {
  const refused: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
    if (where !== "" && range && !semver.satisfies(nodeVersion, range)) refused.push(`${where.replace(/^.*node_modules\//, "")} (${range})`);
  }
  return refused;
}

describe("install on Node 20", () => {
  it("locks no package whose engines refuse Node 20.19 (npm ci prints no EBADENGINE)", () => {
    expect(refusing("20.19.0")).toEqual([]);
  });

  it("declares the same minimum as the README", () => {
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { engines: { node: string } };
    expect(semver.minVersion(pkg.engines.node)?.major).toBe(20);
  });
});
