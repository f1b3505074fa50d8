// @ts-check
// `npm run -s invoice:paid -- --account acct_… --invoice inv_… [--test] [--note TEXT] [--url URL]` records that a
// closed statement was paid outside any provider (PAYMENT_PROVIDER=manual: a bank transfer, a cheque): open or
// past_due becomes paid, `invoice.paid` goes out and the audit log records `invoice.pay`. A statement paid already
// stays as it was ("changed": false). It calls the running Worker's POST /internal/billing/invoices/paid, signed
// with BILLING_ADMIN_SECRET (./billing-admin.mjs). Prints the result as JSON.
import { callBillingAdmin } from "./billing-admin.mjs";
import { cliArgs } from "./local-env.mjs";

const USAGE = "usage: npm run -s invoice:paid -- --account ACCOUNT_ID --invoice INVOICE_ID [--test] [--note TEXT] [--url WORKER_URL]";
const values = cliArgs(
  {
    account: { type: "string" },
    invoice: { type: "string" },
    test: { type: "boolean", default: false },
    note: { type: "string" },
    url: { type: "string" },
  },
  USAGE,
);
if (!values.account || !values.invoice) {
  console.error(`Give --account and --invoice.\n${USAGE}`);
  process.exit(2);
}
await callBillingAdmin(
  "/internal/billing/invoices/paid",
  { account_id: values.account, mode: values.test ? "test" : "live", invoice_id: values.invoice, ...(values.note ? { note: values.note } : {}) },
  values.url,
);
