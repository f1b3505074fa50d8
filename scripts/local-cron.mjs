// @ts-check
// The cron of `npm start`: wrangler's local mode never fires [triggers] crons, so start.mjs does, from
// wrangler.toml's own list (the one place the schedule is written), at the start of each matching minute.
import { readFileSync } from "node:fs";
import path from "node:path";
import { root } from "./local-env.mjs";

/**
 * `crons` of wrangler.toml's [triggers] table. Only that key is read, so a small reader will do: the value
 * is a one-line TOML array of basic strings, which is JSON.
 * @param {string} [file]
 * @returns {string[]}
 */
export function readCrons(file = path.join(root, "wrangler.toml")) {
  const toml = readFileSync(file, "utf8");
  const table = toml.split(/^\[/m).find((t) => t.startsWith("triggers]"));
  const line = table?.split("\n").find((l) => /^\s*crons\s*=/.test(l));
  if (!line) return [];
  /** @type {unknown} */
  const value = JSON.parse(line.slice(line.indexOf("=") + 1).replace(/#.*$/, "").trim());
  if (!Array.isArray(value) || !value.every((c) => typeof c === "string")) throw new Error(`${file}: [triggers] crons must be an array of strings`);
  return value;
}

/** Lowest and highest value of each of the five cron fields: minute, hour, day of month, month, day of week. */
const FIELDS = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

/**
 * Whether `expression` (five fields: `*`, numbers, `a-b` ranges, `,` lists, `/n` steps) matches the minute of
 * `date` in UTC, as Cloudflare's cron triggers run in UTC. Names (MON, JAN) and L/W/# are not supported.
 * @param {string} expression
 * @param {Date} date
 */
export function cronMatches(expression, date) {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" needs five fields`);
  const now = [date.getUTCMinutes(), date.getUTCHours(), date.getUTCDate(), date.getUTCMonth() + 1, date.getUTCDay()];
  return fields.every((field, i) => {
    const [low, high] = /** @type {[number, number]} */ (FIELDS[i]);
    return field.split(",").some((part) => {
      const [range = "", stepText] = part.split("/");
      const step = stepText === undefined ? 1 : Number(stepText);
      const [from, to] = range === "*" ? [low, high] : range.includes("-") ? range.split("-").map(Number) : [Number(range), stepText === undefined ? Number(range) : high];
      if (![from, to, step].every(Number.isInteger) || step < 1) throw new Error(`cron "${expression}": cannot read "${part}"`);
      const value = /** @type {number} */ (now[i]);
      return value >= /** @type {number} */ (from) && value <= /** @type {number} */ (to) && (value - /** @type {number} */ (from)) % step === 0;
    });
  });
}
