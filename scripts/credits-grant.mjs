// @ts-check
// `npm run -s credits:grant -- --account acct_… --credits 500 [--test] [--note TEXT] [--url URL]` grants credits
// (negative: takes them back, as an adjustment); `--purchase pur_…` instead books a pending purchase that was
// paid outside any provider (PAYMENT_PROVIDER=manual). It calls the running Worker's POST /internal/billing/credits,
// signed (Standard Webhooks) with BILLING_ADMIN_SECRET: from the environment, else the local .dev.vars that
// `npm start` writes. The account's ledger writer books it, so a grant never races a send. Prints the result as JSON.
import { cliArgs, ensureDevVars, postSignedToWorker, workerPort } from "./local-env.mjs";

const USAGE = "usage: npm run -s credits:grant -- --account ACCOUNT_ID (--credits N | --purchase PURCHASE_ID) [--test] [--note TEXT] [--url WORKER_URL]";
const values = cliArgs(
  {
    account: { type: "string" },
    credits: { type: "string" },
    purchase: { type: "string" },
    test: { type: "boolean", default: false },
    note: { type: "string" },
    url: { type: "string" },
  },
  USAGE,
);
const credits = values.credits === undefined ? undefined : Number(values.credits);
if (!values.account || (credits === undefined) === (values.purchase === undefined) || (credits !== undefined && !(Number.isSafeInteger(credits) && credits !== 0))) {
  console.error(`Give --account and either --credits (a whole number, not 0) or --purchase.\n${USAGE}`);
  process.exit(2);
}
const secret = process.env.BILLING_ADMIN_SECRET ?? ensureDevVars().BILLING_ADMIN_SECRET;
if (!secret) {
  console.error("No BILLING_ADMIN_SECRET: set it in the environment (the Worker's secret of the same name).");
  process.exit(2);
}
const base = (values.url ?? process.env.EDGEFAX_URL ?? `http://127.0.0.1:${workerPort()}`).replace(/\/+$/, "");
const body = JSON.stringify({
  account_id: values.account,
  mode: values.test ? "test" : "live",
  ...(credits !== undefined ? { credits } : { purchase_id: values.purchase }),
  ...(values.note ? { description: values.note } : {}),
});
process.stdout.write((await postSignedToWorker(base, "/internal/billing/credits", secret, body)) + "\n");
