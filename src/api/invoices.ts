/** /v1/invoices: monthly statements, the current month's as `upcoming`, and paying a closed one (issue 16 point 5). */
import { createRoute, z } from "@hono/zod-openapi";
import { payStatement } from "../billing/statement-payments";
import { buildStatement, periodOf, type Statement } from "../billing/statements";
import { database } from "../db/client";
import { findInvoice, listInvoices, type InvoiceRow } from "../db/invoice-store";
import { ApiError } from "../errors/api-error";
import { audit } from "./audit";
import type { App } from "./context";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";

const UPCOMING = "upcoming";

const InvoiceSchema = z
  .object({
    id: z.string().openapi({ description: "inv_…, or `upcoming` for the current month.", example: "inv_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    period: z.string().openapi({ description: "The month (UTC).", example: "2026-11" }),
    status: z.enum(["open", "paid", "past_due"]).openapi({ description: "open: the month is running, or closed with an amount due; paid; past_due: due and unpaid after 14 days." }),
    currency: z.string(),
    lines: z.array(
      z.object({
        type: z.enum(["number", "pages_sent", "pages_received", "purchase"]),
        description: z.string(),
        quantity: z.number().int(),
        amount: z.number().int().openapi({ description: "Cents." }),
        paid: z.boolean().openapi({ description: "Settled when it happened (credit bundles are paid when bought; pages with credits)." }),
      }),
    ),
    total: z.number().int(),
    amount_paid: z.number().int(),
    amount_due: z.number().int(),
    closed_at: z.string().nullable(),
    due_at: z.string().nullable(),
    paid_at: z.string().nullable(),
  })
  .openapi("Invoice");

type Invoice = z.infer<typeof InvoiceSchema>;

function presentClosed(row: InvoiceRow): Invoice {
  return {
    id: row.id,
    period: row.period,
    status: row.status,
    currency: row.currency,
    lines: JSON.parse(row.lines) as Invoice["lines"],
    total: row.total,
    amount_paid: row.amountPaid,
    amount_due: row.total - row.amountPaid,
    closed_at: row.createdAt,
    due_at: row.dueAt,
    paid_at: row.paidAt,
  };
}

function presentUpcoming(statement: Statement): Invoice {
  return { id: UPCOMING, status: "open", ...statement, closed_at: null, due_at: null, paid_at: null };
}

const InvoicePaymentSchema = z
  .object({
    invoice: InvoiceSchema,
    checkout_url: z.string().nullable().openapi({ description: "Where to pay (a Stripe Checkout Session); null when the statement is paid.", example: "https://checkout.stripe.com/c/pay/cs_live_a1B2c3" }),
  })
  .openapi("InvoicePayment");

const InvoiceIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: UPCOMING }) });

export function registerInvoiceRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/invoices",
      operationId: "listInvoices",
      tags: ["Billing"],
      summary: "List monthly statements",
      description: "The current month's statement (`upcoming`, first page only), then closed months, newest first.",
      security: bearerSecurity,
      request: { query: ListQuerySchema },
      responses: {
        200: { description: "A page of statements.", content: { "application/json": { schema: listSchema(InvoiceSchema, "InvoiceList") } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const q = c.req.valid("query");
      const page = await listInvoices(database(c.env.DB), accountId, mode, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
      const body = pageResponse(page, presentClosed);
      if (!q.cursor) body.data.unshift(presentUpcoming(await buildStatement(c.env, accountId, mode, periodOf(new Date()))));
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/invoices/{id}",
      operationId: "getInvoice",
      tags: ["Billing"],
      summary: "Get a monthly statement",
      description: "A closed month's statement, or `upcoming` for the current month so far.",
      security: bearerSecurity,
      request: { params: InvoiceIdParams },
      responses: {
        200: { description: "The statement.", content: { "application/json": { schema: InvoiceSchema } } },
        ...problemResponses("billing.invoice_not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const id = c.req.valid("param").id;
      if (id === UPCOMING) return c.json(presentUpcoming(await buildStatement(c.env, accountId, mode, periodOf(new Date()))), 200);
      const row = await findInvoice(database(c.env.DB), accountId, mode, id);
      if (!row) throw new ApiError("billing.invoice_not_found");
      return c.json(presentClosed(row), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/invoices/{id}/pay",
      operationId: "payInvoice",
      tags: ["Billing"],
      summary: "Pay a monthly statement",
      description:
        "Test keys: the statement is paid at once. Live keys with Stripe: pay at `checkout_url`; the statement becomes `paid` when Stripe confirms the payment (`invoice.paid`). A statement paid already answers as it is. With the manual provider the operator records payments: 409 `billing.payment_offline`.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, params: InvoiceIdParams },
      responses: {
        200: { description: "The statement, and where to pay it.", content: { "application/json": { schema: InvoicePaymentSchema } } },
        ...problemResponses("billing.invoice_not_found", "billing.invoice_not_payable", "billing.payment_offline", "billing.provider_failed", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const id = c.req.valid("param").id;
      if (id === UPCOMING) throw new ApiError("billing.invoice_not_payable");
      const paid = await payStatement(c.env, accountId, mode, id);
      if (paid.changed) audit(c, "invoice.pay", { type: "invoice", id: paid.invoice.id });
      return c.json({ invoice: presentClosed(paid.invoice), checkout_url: paid.checkoutUrl }, 200);
    },
  );
}
