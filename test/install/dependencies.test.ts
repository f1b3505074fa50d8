// The import directions (docs/architecture.md "Import directions") are checked by dependency-cruiser with
// .dependency-cruiser.cjs. These tests run the same check `npm run check:deps` runs: on the real tree it finds
// nothing, and on a small tree with deliberately wrong imports it names exactly the rules they break.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const config = path.join(root, ".dependency-cruiser.cjs");
const depcruise = path.join(root, "node_modules", ".bin", "depcruise");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string): Violation[] {
  const run = spawnSync(depcruise, ["src", "--config", config, "--output-type", "json"], { cwd, encoding: "utf8" });
  if (!run.stdout) throw new Error(`depcruise printed nothing (exit ${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const scratch = mkdtempSync(path.join(tmpdir(), "edgefax-layers-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(scratch, "tree-"));
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler" } }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe("import directions", () => {
  it("the real tree has no violation", () => {
    expect(cruise(root).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it("names the rule each wrong import breaks", () => {
    const dir = tree({
      "src/api/faxes.ts": 'import { findFax } from "../db/fax-store";\nexport const route = findFax;\n',
      // Data that knows a route: db is below api.
      "src/db/fax-store.ts": 'import type { Caller } from "../api/context";\nexport const findFax = (c: Caller) => c;\n',
      "src/api/context.ts": "export interface Caller { accountId: string }\n",
      // The gateway reading the Worker's database.
      "src/gateway/service.ts": 'import { findFax } from "../db/fax-store";\nexport const s = findFax;\n',
      // A domain importing a route.
      "src/fax/create.ts": 'import { route } from "../api/faxes";\nexport const c = route;\n',
      // A run-time cycle inside one folder.
      "src/lib/a.ts": 'import { b } from "./b";\nexport const a = () => b;\n',
      "src/lib/b.ts": 'import { a } from "./a";\nexport const b = () => a;\n',
    });
    const found = cruise(dir).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        "base-imports-upper-layer: src/db/fax-store.ts -> src/api/context.ts",
        "gateway-imports-outside-its-layers: src/gateway/service.ts -> src/db/fax-store.ts",
        "domain-imports-routes: src/fax/create.ts -> src/api/faxes.ts",
      ]),
    );
    const rules = new Set(found.map((f) => f.split(":")[0]));
    expect([...rules].sort()).toEqual(["base-imports-upper-layer", "domain-imports-routes", "folder-cycle", "gateway-imports-outside-its-layers", "module-cycle"]);
  });

  it("allows the directions the layout allows", () => {
    const dir = tree({
      "src/api/faxes.ts": 'import { createFax } from "../fax/create";\nexport const r = createFax;\n',
      "src/fax/create.ts": 'import { findFax } from "../db/fax-store";\nimport { job } from "../contract/gateway";\nexport const createFax = [findFax, job];\n',
      "src/db/fax-store.ts": 'import { newId } from "../lib/ids";\nexport const findFax = newId;\n',
      "src/contract/gateway.ts": 'import { newId } from "../lib/ids";\nexport const job = newId;\n',
      "src/gateway/service.ts": 'import { job } from "../contract/gateway";\nimport { newId } from "../lib/ids";\nexport const s = [job, newId];\n',
      "src/lib/ids.ts": "export const newId = () => 1;\n",
    });
    expect(cruise(dir)).toEqual([]);
  });
});
