/** /v1/balance: credits, the bundles to buy them in, purchases and the ledger (issue 16 point 3). */
import { createRoute, z } from "@hono/zod-openapi";
import { ledger } from "../billing/ledger";
import { BUNDLES, CURRENCY } from "../billing/prices";
import { startPurchase } from "../billing/purchases";
import { lowBalanceThreshold } from "../billing/threshold";
import { database } from "../db/client";
import { listTransactions, type CreditPurchaseRow, type CreditTransactionRow } from "../db/credit-store";
import { CREDIT_TRANSACTION_KINDS } from "../db/schema";
import { closedObject } from "../lib/closed-object";
import { audit } from "./audit";
import type { App } from "./context";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";

const BalanceSchema = z
  .object({
    credits: z.number().int().openapi({ description: "Credits left in this mode (test and live keep separate balances). One credit is one page sent." }),
    low_balance_threshold: z.number().int().openapi({ description: "`balance.low` fires when the balance falls below this." }),
  })
  .openapi("Balance");

const BundleSchema = z
  .object({
    id: z.string().openapi({ example: "credits_500" }),
    credits: z.number().int().openapi({ example: 500 }),
    price: z.number().int().openapi({ description: "In cents of `currency`.", example: 4500 }),
    currency: z.string().openapi({ example: CURRENCY }),
  })
  .openapi("CreditBundle");

const PurchaseSchema = z
  .object({
    id: z.string().openapi({ example: "pur_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    bundle: z.string(),
    credits: z.number().int(),
    price: z.number().int(),
    currency: z.string(),
    status: z.enum(["pending", "completed"]).openapi({ description: "Test mode completes at once; live purchases once paid." }),
    provider: z.enum(["test", "manual", "stripe"]),
    checkout_url: z.string().nullable().openapi({ description: "Where to pay (Stripe Checkout); null when nothing is for you to do." }),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("CreditPurchase");

const TransactionSchema = z
  .object({
    id: z.string().openapi({ example: "txn_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    type: z.enum(CREDIT_TRANSACTION_KINDS).openapi({ description: "reserve: a fax's pages when accepted; settle: the unsent part given back when it is final; refund: all of it back (failed before sending, or canceled)." }),
    amount: z.number().int().openapi({ description: "Credits added (positive) or taken (negative)." }),
    balance_after: z.number().int(),
    fax_id: z.string().nullable(),
    purchase_id: z.string().nullable(),
    pages: z.number().int().nullable().openapi({ description: "For a settle or refund: the pages charged in the end." }),
    description: z.string(),
    created_at: z.string(),
  })
  .openapi("CreditTransaction");

function presentPurchase(p: CreditPurchaseRow): z.infer<typeof PurchaseSchema> {
  return {
    id: p.id,
    bundle: p.bundle,
    credits: p.credits,
    price: p.price,
    currency: p.currency,
    status: p.status,
    provider: p.provider,
    checkout_url: p.checkoutUrl,
    created_at: p.createdAt,
    completed_at: p.completedAt,
  };
}

function presentTransaction(t: CreditTransactionRow): z.infer<typeof TransactionSchema> {
  return {
    id: t.id,
    type: t.kind,
    amount: t.amount,
    balance_after: t.balanceAfter,
    fax_id: t.faxId,
    purchase_id: t.purchaseId,
    pages: t.pages,
    description: t.description,
    created_at: t.createdAt,
  };
}

export function registerBalanceRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/balance",
      operationId: "getBalance",
      tags: ["Billing"],
      summary: "Get your balance",
      description: "Credits left in the key's mode. A test balance starts funded; a live one at zero.",
      security: bearerSecurity,
      responses: {
        200: { description: "The balance.", content: { "application/json": { schema: BalanceSchema, example: { credits: 480, low_balance_threshold: 10 } } } },
        ...problemResponses(...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const [credits, threshold] = await Promise.all([ledger(c.env, accountId, mode).balance({ accountId, mode }), lowBalanceThreshold(c.env, accountId)]);
      return c.json({ credits, low_balance_threshold: threshold }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/balance/bundles",
      operationId: "listCreditBundles",
      tags: ["Billing"],
      summary: "List credit bundles",
      description: "The bundles credits are sold in.",
      security: bearerSecurity,
      responses: {
        200: { description: "Every bundle.", content: { "application/json": { schema: z.object({ data: z.array(BundleSchema) }).openapi("CreditBundleList") } } },
        ...problemResponses(...AUTH_ERRORS),
      },
    }),
    (c) => c.json({ data: BUNDLES.map((b) => ({ ...b, currency: CURRENCY })) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/balance/purchases",
      operationId: "purchaseCredits",
      tags: ["Billing"],
      summary: "Buy a credit bundle",
      description:
        "Test keys: the purchase completes at once. Live keys: with Stripe, pay at `checkout_url` and the credits arrive when Stripe confirms the payment; with the manual provider the operator books them.",
      security: bearerSecurity,
      request: {
        headers: IdempotencyKeyHeader,
        body: { required: true, content: { "application/json": { schema: closedObject({ bundle: z.string().max(100) }).openapi("CreditPurchaseCreate", { example: { bundle: "credits_500" } }) } } },
      },
      responses: {
        201: { description: "The purchase.", content: { "application/json": { schema: PurchaseSchema } } },
        ...problemResponses("billing.bundle_not_found", "request.invalid", "billing.provider_failed", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const purchase = await startPurchase(c.env, accountId, mode, c.req.valid("json").bundle);
      audit(c, "credits.purchase", { type: "credit_purchase", id: purchase.id });
      return c.json(presentPurchase(purchase), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/balance/transactions",
      operationId: "listCreditTransactions",
      tags: ["Billing"],
      summary: "List credit transactions",
      description: "The ledger of the key's mode, newest first: every change to the balance with the balance it left.",
      security: bearerSecurity,
      request: { query: ListQuerySchema },
      responses: {
        200: { description: "A page of transactions.", content: { "application/json": { schema: listSchema(TransactionSchema, "CreditTransactionList") } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const q = c.req.valid("query");
      // Reading the balance first makes a test ledger's starting grant exist before it is listed.
      await ledger(c.env, accountId, mode).balance({ accountId, mode });
      const page = await listTransactions(database(c.env.DB), accountId, mode, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
      return c.json(pageResponse(page, presentTransaction), 200);
    },
  );
}
