/**
 * Usage and statements (issue 19 point 4, on issue 16's billing): pages and faxes sent and received and
 * credits used over a range of days, grouped by day, number or external user, as an SVG chart and a table;
 * and the monthly statements (this month's so far, then the closed ones). The session's test/live context
 * decides which ledger. The same domain functions as GET /v1/usage and GET /v1/invoices.
 */
import type { Hono } from "hono";
import { formatPrice } from "../../billing/prices";
import { buildStatement, periodOf, type Statement, type StatementLine } from "../../billing/statements";
import { database } from "../../db/client";
import { listInvoices } from "../../db/invoice-store";
import { usageBetween, type UsageRow } from "../../db/usage-store";
import { BarChart } from "../chart";
import type { PortalEnv } from "../context";
import { Empty, Layout, Problems, Table } from "../layout";
import { usageQuery } from "../list-query";
import { allow } from "../session";

const COUNTS = ["faxes_sent", "faxes_received", "pages_sent", "pages_received", "credits"] as const;
const DAY_MS = 86_400_000;

/** Day grouping: every day of the range, those without faxes at zero, so the chart's axis is time. */
function everyDay(rows: UsageRow[], fromIso: string, toIso: string): UsageRow[] {
  const byDay = new Map(rows.map((r) => [r.group, r]));
  const days: UsageRow[] = [];
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push(byDay.get(day) ?? { group: day, faxes_sent: 0, faxes_received: 0, pages_sent: 0, pages_received: 0, credits: 0 });
  }
  return days;
}

const StatementLines = ({ lines }: { lines: StatementLine[] }) => (
  <Table label="Statement lines" head={["Line", "Quantity", "Amount", ""]}>
    {lines.map((l) => (
      <tr>
        <td>{l.description}</td>
        <td>{l.quantity}</td>
        <td>{formatPrice(l.amount)}</td>
        <td>{l.paid ? "paid" : ""}</td>
      </tr>
    ))}
  </Table>
);

const Totals = ({ s }: { s: Pick<Statement, "total" | "amount_paid" | "amount_due"> }) => (
  <p>
    Total {formatPrice(s.total)} · paid {formatPrice(s.amount_paid)} · <strong>due {formatPrice(s.amount_due)}</strong>
  </p>
);

export function registerUsagePages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/usage", allow("billing.view"), async (c) => {
    const member = c.get("member");
    const { filter, values, problems } = usageQuery(c.req.query(), Date.now());
    const rows = await usageBetween(database(c.env.DB), member.accountId, member.mode, filter.from, filter.to, filter.groupBy);
    const shown = filter.groupBy === "day" ? everyDay(rows, filter.from, filter.to) : rows;
    const totals = Object.fromEntries(COUNTS.map((k) => [k, rows.reduce((t, r) => t + r[k], 0)])) as Record<(typeof COUNTS)[number], number>;
    const groupName = { day: "Day (UTC)", number: "Number", external_user: "External user" }[filter.groupBy];
    // A user is shown by the partner's id; a deleted one with its record id, since a later user may have that id.
    const label = (r: UsageRow) =>
      filter.groupBy !== "external_user" ? (r.group ?? "—") : !r.external_user_id ? "(no user)" : r.user_deleted ? `${r.external_user_id} (deleted, ${r.group ?? "no record"})` : r.external_user_id;
    return c.html(
      <Layout title={`Usage (${member.mode})`} member={member} csrf={c.get("csrf")} current="/portal/usage">
        <Problems problems={problems} />
        <form method="get" action="/portal/usage" class="filters">
          <label for="usage-from">From (UTC day)</label>
          <input id="usage-from" name="from" type="date" value={values.from} />
          <label for="usage-to">To (included)</label>
          <input id="usage-to" name="to" type="date" value={values.to} />
          <label for="usage-group">Group by</label>
          <select id="usage-group" name="group_by">
            {(["day", "number", "external_user"] as const).map((g) => (
              <option value={g} selected={filter.groupBy === g}>
                {g.replace("_", " ")}
              </option>
            ))}
          </select>
          <button type="submit">Show</button>
        </form>
        <div class="cards">
          <div class="card">
            <div class="n" id="pages-sent">
              {totals.pages_sent}
            </div>
            pages sent ({totals.faxes_sent} {totals.faxes_sent === 1 ? "fax" : "faxes"})
          </div>
          <div class="card">
            <div class="n" id="pages-received">
              {totals.pages_received}
            </div>
            pages received ({totals.faxes_received} {totals.faxes_received === 1 ? "fax" : "faxes"})
          </div>
          <div class="card">
            <div class="n">{totals.credits}</div>credits used
          </div>
        </div>
        {rows.length === 0 ? (
          <Empty>
            No {member.mode} faxes from {values.from} to {values.to}. Send one from <a href="/portal/send">Send a fax</a>, or pick other days.
          </Empty>
        ) : (
          <>
            <BarChart
              title={`Pages by ${groupName.toLowerCase()}, ${values.from} to ${values.to}`}
              series={[
                { name: "pages sent", color: "#0b57d0" },
                { name: "pages received", color: "#116329" },
              ]}
              points={shown.map((r) => ({ label: label(r), values: [r.pages_sent, r.pages_received] }))}
            />
            <Table label={`Usage by ${groupName}`} head={[groupName, "Faxes sent", "Pages sent", "Faxes received", "Pages received", "Credits"]}>
              {rows.map((r) => (
                <tr>
                  <td>{label(r)}</td>
                  <td>{r.faxes_sent}</td>
                  <td>{r.pages_sent}</td>
                  <td>{r.faxes_received}</td>
                  <td>{r.pages_received}</td>
                  <td>{r.credits}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
        <p>
          <a href="/portal/statements">Monthly statements</a>
        </p>
      </Layout>,
    );
  });

  portal.get("/portal/statements", allow("billing.view"), async (c) => {
    const member = c.get("member");
    const period = periodOf(new Date());
    const [current, closed] = await Promise.all([buildStatement(c.env, member.accountId, member.mode, period), listInvoices(database(c.env.DB), member.accountId, member.mode, 24)]);
    return c.html(
      <Layout title={`Statements (${member.mode})`} member={member} csrf={c.get("csrf")} current="/portal/usage">
        <p>Numbers are billed monthly by tier, prorated; pages are paid with credits; bundles were paid when bought. A month's statement closes once it is over.</p>
        <h2>{period}, so far</h2>
        <StatementLines lines={current.lines} />
        <Totals s={current} />
        <h2>Closed statements</h2>
        {closed.data.length === 0 ? (
          <Empty>No month has closed yet: the first statement appears after the end of your first month.</Empty>
        ) : (
          closed.data.map((inv) => (
            <details>
              <summary>
                {inv.period}: {formatPrice(inv.total)}, <span class={`badge ${inv.status}`}>{inv.status.replace("_", " ")}</span>
              </summary>
              <StatementLines lines={JSON.parse(inv.lines) as StatementLine[]} />
              <Totals s={{ total: inv.total, amount_paid: inv.amountPaid, amount_due: inv.total - inv.amountPaid }} />
            </details>
          ))
        )}
      </Layout>,
    );
  });
}
