// The event catalog cannot drift from the code (issue 13 point 3): an entry is either emitted somewhere
// in src/ or listed in NOT_YET_EMITTED, which /openapi.json and the README show; never both, never neither.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sources } from "./sources";
import { EVENT_TYPES, NOT_YET_EMITTED } from "../../src/events/catalog";

const code = sources("src")
  .filter((f) => !f.endsWith(join("events", "catalog.ts")))
  .map((f) => readFileSync(f, "utf8"))
  .join("\n");
const notYet = new Set<string>(NOT_YET_EMITTED);

describe("event catalog", () => {
  it("every entry not marked as not yet emitted is named in the code that emits it", () => {
    const silent = Object.keys(EVENT_TYPES).filter((t) => !notYet.has(t) && !code.includes(`"${t}"`));
    expect(silent).toEqual([]);
  });

  it("no entry marked as not yet emitted is named anywhere in src/ (emit it, then unmark it)", () => {
    expect(NOT_YET_EMITTED.filter((t) => code.includes(`"${t}"`))).toEqual([]);
  });

  it("the README lists the entries not emitted yet", () => {
    const readme = readFileSync("README.md", "utf8");
    const at = readme.indexOf("Not emitted yet");
    expect(at, "README needs a 'Not emitted yet' paragraph").toBeGreaterThan(-1);
    const paragraph = readme.slice(at, readme.indexOf("\n\n", at)).replace(/\s+/g, " ");
    for (const t of NOT_YET_EMITTED) expect(paragraph).toContain(`\`${t}\``);
  });
});
