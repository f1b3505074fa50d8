/**
 * The filter forms of the audit log and usage pages are GET forms: their query strings come from anyone's
 * address bar, so each value is checked here and a wrong one is dropped with a message that says why,
 * never passed on. Dates are calendar days (`<input type="date">`, YYYY-MM-DD) in UTC; `to` is the last day
 * included, so the range is [from 00:00, to+1 00:00).
 */
import { AUDIT_ACTIONS, type AuditAction } from "../audit/catalog";
import type { AuditFilter } from "../audit/store";
import { USAGE_GROUPS, type UsageGroup } from "../db/usage-store";

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const DAY_MS = 86_400_000;

/** A calendar day's start (UTC) in ms, or null for anything that is not a real day between 2000 and 2999. */
export function dayStart(raw: string | undefined): number | null {
  const m = raw ? DAY.exec(raw) : null;
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 2000 || year > 2999) return null;
  const at = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-31 over into March: such a day does not exist.
  return new Date(at).getUTCDate() === day && new Date(at).getUTCMonth() === month - 1 ? at : null;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface ParsedQuery<F> {
  filter: F;
  /** The values to show back in the form (only those accepted). */
  values: Record<string, string>;
  /** What was dropped and why, for a notice above the results. */
  problems: string[];
}

function range(query: Record<string, string | undefined>, problems: string[], values: Record<string, string>) {
  let from = dayStart(query.from);
  let to = dayStart(query.to);
  if (query.from && from === null) problems.push(`"from" must be a day such as 2026-11-01; it was ignored.`);
  if (query.to && to === null) problems.push(`"to" must be a day such as 2026-11-30; it was ignored.`);
  if (from !== null && to !== null && to < from) {
    problems.push(`"to" is before "from"; both were ignored.`);
    from = to = null;
  }
  if (from !== null) values.from = dayOf(from);
  if (to !== null) values.to = dayOf(to);
  return { from, toExclusive: to === null ? null : to + DAY_MS };
}

/** The audit log page's query: action from the catalog, actor and target ids, a day range. */
export function auditQuery(query: Record<string, string | undefined>): ParsedQuery<AuditFilter> {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  const filter: AuditFilter = {};
  if (query.action) {
    if (Object.hasOwn(AUDIT_ACTIONS, query.action)) filter.action = values.action = query.action as AuditAction;
    else problems.push(`There is no action "${query.action.slice(0, 64)}"; it was ignored.`);
  }
  for (const name of ["actor", "target"] as const) {
    const raw = query[name]?.trim();
    if (!raw) continue;
    if (ID.test(raw)) {
      values[name] = raw;
      filter[name === "actor" ? "actorId" : "targetId"] = raw;
    } else problems.push(`"${name}" must be an id such as ${name === "actor" ? "mem_… or key_…" : "fax_…"}; it was ignored.`);
  }
  const { from, toExclusive } = range(query, problems, values);
  if (from !== null) filter.from = new Date(from).toISOString();
  if (toExclusive !== null) filter.to = new Date(toExclusive).toISOString();
  return { filter, values, problems };
}

export const USAGE_MAX_DAYS = 366;

/** The usage page's query: a day range (default: this month so far) of at most a year, and a grouping. */
export function usageQuery(query: Record<string, string | undefined>, now: number): ParsedQuery<{ from: string; to: string; groupBy: UsageGroup }> {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  let { from, toExclusive } = range(query, problems, values);
  const today = new Date(now);
  // Without "to": through today, or through "from" itself when that is later.
  const end = toExclusive ?? Math.max(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) + DAY_MS, (from ?? 0) + DAY_MS);
  let start = from ?? Date.UTC(new Date(end - DAY_MS).getUTCFullYear(), new Date(end - DAY_MS).getUTCMonth(), 1);
  if (end - start > USAGE_MAX_DAYS * DAY_MS) {
    problems.push(`A range is at most ${USAGE_MAX_DAYS} days: it starts ${USAGE_MAX_DAYS} days before "to".`);
    start = end - USAGE_MAX_DAYS * DAY_MS;
  }
  toExclusive = end;
  from = start;
  values.from = dayOf(from);
  values.to = dayOf(toExclusive - DAY_MS);
  let groupBy: UsageGroup = "day";
  if (query.group_by) {
    if (Object.hasOwn(USAGE_GROUPS, query.group_by)) groupBy = query.group_by as UsageGroup;
    else problems.push(`"group_by" is one of ${Object.keys(USAGE_GROUPS).join(", ")}; showing by day.`);
  }
  values.group_by = groupBy;
  return { filter: { from: new Date(from).toISOString(), to: new Date(toExclusive).toISOString(), groupBy }, values, problems };
}
