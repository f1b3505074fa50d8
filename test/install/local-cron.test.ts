// npm start fires wrangler.toml's [triggers] crons itself (scripts/local-cron.mjs), since local mode does not.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cronMatches, readCrons } from "../../scripts/local-cron.mjs";

describe("the local cron", () => {
  it("reads the schedule from wrangler.toml's [triggers] table", () => {
    expect(readCrons()).toEqual(["* * * * *"]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "edgefax-cron-")), "wrangler.toml");
    writeFileSync(file, '[vars]\ncrons = ["not this one"]\n\n[triggers]\n# two\ncrons = ["*/5 * * * *", "0 3 * * 1"] # comment\n');
    expect(readCrons(file)).toEqual(["*/5 * * * *", "0 3 * * 1"]);
    writeFileSync(file, '[triggers]\ncrons = "* * * * *"\n');
    expect(() => readCrons(file)).toThrow(/array of strings/);
  });

  it("fires a cron only in the minutes it names (UTC)", () => {
    const friday0615 = new Date("2026-12-04T06:15:00Z");
    expect(cronMatches("* * * * *", friday0615)).toBe(true);
    expect(cronMatches("*/5 * * * *", friday0615)).toBe(true);
    expect(cronMatches("*/7 * * * *", friday0615)).toBe(false);
    expect(cronMatches("15 6 * * *", friday0615)).toBe(true);
    expect(cronMatches("0 6 * * *", friday0615)).toBe(false);
    expect(cronMatches("10-20/5 6 4 12 5", friday0615)).toBe(true);
    expect(cronMatches("0,15,30 6 * * 1-4", friday0615)).toBe(false);
    expect(() => cronMatches("* * *", friday0615)).toThrow(/five fields/);
    expect(() => cronMatches("x * * * *", friday0615)).toThrow(/cannot read/);
  });
});
