/** Billing (issue 19 point 4, on issue 16's ledger): balance per mode, buying a bundle, the ledger's transactions, statements and paying them. Owners and billing. */
import type { Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { ledger } from "../../billing/ledger";
import { BUNDLES, formatPrice } from "../../billing/prices";
import { startPurchase } from "../../billing/purchases";
import { payStatement } from "../../billing/statement-payments";
import { lowBalanceThreshold } from "../../billing/threshold";
import { listTransactions } from "../../db/credit-store";
import { database } from "../../db/client";
import { listInvoices } from "../../db/invoice-store";
import { ApiError } from "../../errors/api-error";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, PostButton, Table, Time } from "../layout";
import { can } from "../permissions";
import { auditMember } from "../audit";
import { allow } from "../session";

type Mode = "test" | "live";

export function registerBillingPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/billing", allow("billing.view"), async (c) => {
    const member = c.get("member");
    // The session's test/live context decides which ledger's transactions show and which one a purchase fills.
    const mode = member.mode;
    const scope = (m: Mode) => ({ accountId: member.accountId, mode: m });
    const [testCredits, liveCredits, threshold] = await Promise.all([
      ledger(c.env, member.accountId, "test").balance(scope("test")),
      ledger(c.env, member.accountId, "live").balance(scope("live")),
      lowBalanceThreshold(c.env, member.accountId),
    ]);
    const [page, statements] = await Promise.all([
      listTransactions(database(c.env.DB), member.accountId, mode, 25, cursorOf(c.req.query("cursor"))),
      listInvoices(database(c.env.DB), member.accountId, mode, 12),
    ]);
    const last = page.data.at(-1);
    const zone = c.get("timeZone");
    const done = c.req.query("done");
    return c.html(
      <Layout title="Billing" member={member} csrf={c.get("csrf")} current="/portal/billing">
        {done === "completed" ? <Notice kind="ok">The credits were added.</Notice> : null}
        {done === "pending" ? <Notice>The purchase waits for payment; the credits are added once it is paid.</Notice> : null}
        {c.req.query("statement") === "paid" ? <Notice kind="ok">The statement is paid.</Notice> : null}
        {c.req.query("statement") === "offline" ? <Notice>Statements are paid outside the portal here: pay as your operator asks, and the statement shows paid once they record it.</Notice> : null}
        {c.req.query("invoice") && c.req.query("checkout") === "done" ? <Notice kind="ok">Stripe took the payment; the statement shows paid once Stripe confirms it.</Notice> : null}
        <div class="cards">
          <div class="card">
            <div class="n" id="live-credits">{liveCredits}</div>live credits
          </div>
          <div class="card">
            <div class="n">{testCredits}</div>test credits
          </div>
        </div>
        <p class="hint">One credit is one page sent. balance.low fires when a balance falls below {threshold}.</p>
        {can(member.role, "billing.manage") ? (
          <>
            <h2>Buy {mode} credits</h2>
            <div class="actions">
              {BUNDLES.map((b) => (
                <form method="post" action="/portal/billing/purchases" class="inline">
                  <CsrfField token={c.get("csrf")} />
                  <input type="hidden" name="bundle" value={b.id} />
                  <button type="submit" class="secondary">
                    {b.credits} credits for {formatPrice(b.price)}
                  </button>
                </form>
              ))}
            </div>
          </>
        ) : null}
        <h2>Transactions ({mode})</h2>
        {page.data.length === 0 ? (
          <Empty>No transactions in {mode} mode yet. Sending a fax reserves its pages; buying a bundle adds credits.</Empty>
        ) : (
          <Table label={`Transactions (${mode})`} head={["Time", "Type", "Credits", "Balance after", "Description"]}>
            {page.data.map((t) => (
              <tr>
                <td>
                  <Time iso={t.createdAt} zone={zone} />
                </td>
                <td>{t.kind}</td>
                <td>{t.amount > 0 ? `+${t.amount}` : t.amount}</td>
                <td>{t.balanceAfter}</td>
                <td>
                  {t.description}
                  {t.faxId ? (
                    <>
                      {" "}
                      <a href={`/portal/faxes/${t.faxId}`}>fax</a>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/billing" />
        <h2>Statements ({mode})</h2>
        {statements.data.length === 0 ? (
          <Empty>No closed statement in {mode} mode yet: the cron closes each month on the 1st.</Empty>
        ) : (
          <Table label={`Statements (${mode})`} head={["Month", "Status", "Total", "Due", "Paid", ""]}>
            {statements.data.map((s) => (
              <tr>
                <td>{s.period}</td>
                <td>{s.status === "past_due" ? "past due" : s.status}</td>
                <td>{formatPrice(s.total)}</td>
                <td>{formatPrice(s.total - s.amountPaid)}</td>
                <td>
                  <Time iso={s.paidAt} zone={zone} />
                </td>
                <td>
                  {s.status !== "paid" && can(member.role, "billing.manage") ? (
                    <PostButton action={`/portal/billing/invoices/${s.id}/pay`} csrf={c.get("csrf")} label={<>Pay {formatPrice(s.total - s.amountPaid)}</>} />
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Layout>,
    );
  });

  portal.post("/portal/billing/purchases", allow("billing.manage"), async (c) => {
    const form = await c.req.parseBody();
    const purchase = await startPurchase(c.env, c.get("member").accountId, c.get("member").mode, typeof form.bundle === "string" ? form.bundle : "");
    auditMember(c, "credits.purchase", { type: "credit_purchase", id: purchase.id });
    // Stripe: pay on its Checkout page; manual: the operator books it; test: completed at once.
    if (purchase.checkoutUrl) return c.redirect(purchase.checkoutUrl, 303);
    return c.redirect(`/portal/billing?done=${purchase.status}`, 303);
  });

  // A closed statement (issue 16 point 5): Stripe's Checkout page, paid at once in test mode, or the operator's way.
  portal.post("/portal/billing/invoices/:id/pay", allow("billing.manage"), async (c) => {
    // The session's test/live context decides the ledger, never a form field.
    const mode = c.get("member").mode;
    try {
      const paid = await payStatement(c.env, c.get("member").accountId, mode, c.req.param("id"));
      // The same entry the API records; a repeat that changed nothing records nothing.
      if (paid.changed) auditMember(c, "invoice.pay", { type: "invoice", id: paid.invoice.id });
      if (paid.checkoutUrl) return c.redirect(paid.checkoutUrl, 303);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "billing.payment_offline")) throw error;
      return c.redirect("/portal/billing?statement=offline", 303);
    }
    return c.redirect("/portal/billing?statement=paid", 303);
  });
}
