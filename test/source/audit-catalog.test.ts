// The audit catalog cannot drift from the code (issue 17 point 2): an action is either recorded somewhere
// in src/ or listed in NOT_YET_RECORDED (which the README shows); never both, never neither.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sources } from "./sources";
import { AUDIT_ACTIONS, NOT_YET_RECORDED } from "../../src/audit/catalog";

const code = sources("src")
  .filter((f) => !f.endsWith(join("audit", "catalog.ts")))
  .map((f) => readFileSync(f, "utf8"))
  .join("\n");
const notYet = new Set<string>(NOT_YET_RECORDED);

describe("audit action catalog", () => {
  it("every action not marked as not yet recorded is named in the code that records it", () => {
    expect(Object.keys(AUDIT_ACTIONS).filter((a) => !notYet.has(a) && !code.includes(`"${a}"`))).toEqual([]);
  });

  it("no action marked as not yet recorded is named anywhere in src/ (record it, then unmark it)", () => {
    expect(NOT_YET_RECORDED.filter((a) => code.includes(`"${a}"`))).toEqual([]);
  });

  it("the README lists every action, and those not recorded yet", () => {
    const readme = readFileSync("README.md", "utf8");
    for (const a of Object.keys(AUDIT_ACTIONS)) expect(readme).toContain(`\`${a}\``);
    const at = readme.indexOf("Not recorded yet");
    expect(at, "README needs a 'Not recorded yet' paragraph").toBeGreaterThan(-1);
    const paragraph = readme.slice(at, readme.indexOf("\n\n", at)).replace(/\s+/g, " ");
    for (const a of NOT_YET_RECORDED) expect(paragraph).toContain(`\`${a}\``);
  });
});
