/**
 * The partner portal end to end (issue 19 "How it is shown"): Debian's Chromium, driven by playwright-core,
 * against a private `npm start` (scripts/local-platform.mjs). Sign-up through the local outbox; a fax sent
 * from the portal is delivered; a fax received over the loopback gateway shows its page; webhooks; each role
 * sees its pages and is refused the others (page and POST); CSRF-less and cross-site posts are refused; a
 * revoked session is out at once. Every page is checked with axe-core (no serious or critical violation)
 * and at phone width (no sideways scrolling), and screenshotted at desktop and phone width into test/e2e/out/.
 *
 *   npm run test:e2e        (needs `apt-get install chromium`; EDGEFAX_CHROMIUM overrides /usr/bin/chromium)
 */
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import axe from "axe-core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { newestMail, outboxDir, readMail } from "../../scripts/local-outbox.mjs";
import { makeStateDir, removeStateDir, sleep, startLocalPlatform, type LocalPlatform } from "../../scripts/local-platform.mjs";

const OUT = path.join(import.meta.dirname, "out");
const CHROMIUM = process.env.EDGEFAX_CHROMIUM ?? "/usr/bin/chromium";
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let platform: LocalPlatform;
let stateDir: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let base: string;
/** Webhook deliveries the local receiver got. */
const hooks: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let receiver: http.Server;
/** Another site: a page whose form posts to the portal. */
let evilSite: http.Server;
let evilPort = 0;
let evilForm = "";
/** The first test key, shown at sign-up: the API calls of the tests below (external users). */
let firstKey = "";

before(async () => {
  await mkdir(OUT, { recursive: true });
  stateDir = await makeStateDir("e2e");
  platform = await startLocalPlatform({ stateDir, vars: { TIME_COMPRESSION: "300" } });
  base = platform.url;
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hooks.push({ headers: req.headers, body });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  evilSite = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(evilForm));
  await new Promise<void>((resolve) => evilSite.listen(0, "127.0.0.1", resolve));
  evilPort = (evilSite.address() as AddressInfo).port;
  profile = await mkdtemp(path.join(tmpdir(), "edgefax-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timezoneId: "America/New_York",
    viewport: DESKTOP,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  receiver?.close();
  evilSite?.close();
  await platform?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (stateDir) await removeStateDir(stateDir);
});

/** The newest message in the local outbox, after `since` (its file name). */
async function nextMail(since: string | null): Promise<{ file: string; text: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const file = newestMail(outboxDir(stateDir));
    if (file && file !== since) return { file, text: readMail(file) };
    if (Date.now() > deadline) throw new Error("no new mail in the outbox");
    await sleep(100);
  }
}

async function grantLiveCredits(accountId: string, credits: number): Promise<void> {
  const { execFile } = await import("node:child_process");
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(import.meta.dirname, "../../scripts/credits-grant.mjs"), "--account", accountId, "--credits", String(credits), "--url", base], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`credits:grant failed: ${error.message}\n${stdout}${stderr}`)) : resolve(),
    ),
  );
}

function linkIn(text: string): string {
  const m = /(http:\/\/127\.0\.0\.1:\d+\/portal\/auth\?token=[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, `a link in: ${text}`);
  return m[1]!;
}

const checked = new Set<string>();

/** axe-core on the page as it is (no serious or critical violation), no sideways scrolling at phone width, and screenshots at both widths. */
async function inspect(name: string): Promise<void> {
  await page.evaluate(axe.source);
  // Strings, not functions: this file is type-checked without the DOM library (the Worker's types own the globals).
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as axe.AxeResults;
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `axe on ${name} (${page.url()})`,
  );
  await page.screenshot({ path: path.join(OUT, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at phone width`);
  await page.screenshot({ path: path.join(OUT, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  checked.add(name);
}

async function csrfOfPage(): Promise<string> {
  return (await page.locator('input[name="_csrf"]').first().getAttribute("value")) ?? "";
}

async function signInAs(email: string): Promise<void> {
  const since = newestMail(outboxDir(stateDir));
  await page.goto(`${base}/portal/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.goto(linkIn((await nextMail(since)).text));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/portal`);
}

/** Reloads until the selector matches (the portal is server-rendered: progress shows on reload). */
async function reloadUntil(selector: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.locator(selector).count()) > 0) return;
    if (Date.now() > deadline) throw new Error(`${selector} did not show on ${page.url()} within ${timeoutMs} ms`);
    await sleep(500);
    await page.reload();
  }
}

const ownerEmail = "owner@acme.example";

test("sign-up through the local outbox shows the first test key once", async () => {
  await page.goto(`${base}/portal/signup`);
  await inspect("signup");
  const since = newestMail(outboxDir(stateDir));
  await page.getByLabel("Company name").fill("Acme Clinic");
  await page.getByLabel("Work email").fill(ownerEmail);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  await inspect("check-email");
  const mail = await nextMail(since);
  assert.match(mail.text, /^From: edgefax <portal@edgefax.invalid>\nTo: owner@acme.example\nSubject: Confirm your edgefax account\n/);
  await page.goto(linkIn(mail.text));
  await inspect("link");
  await page.getByRole("button", { name: "Create the account for Acme Clinic" }).click();
  const key = await page.locator("#first-key").textContent();
  assert.match(key ?? "", /^fx_test_/);
  firstKey = key!;
  await inspect("welcome");
  // The key works on the API, and the dashboard never shows it again.
  const numbers = await fetch(`${base}/v1/numbers`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(numbers.status, 200);
  await page.goto(`${base}/portal`);
  assert.equal(await page.getByText(key!).count(), 0);
  // Times in the viewer's zone: the page script told the server the zone (America/New_York) on the first page.
  assert.match((await page.locator("time").first().textContent()) ?? "", /EST|EDT/);
  await inspect("dashboard");
});

test("a fax sent from the portal is delivered", async () => {
  await page.goto(`${base}/portal/numbers`);
  await inspect("numbers-empty");
  await page.getByRole("button", { name: "Get a number" }).click();
  await page.getByText("The number is yours.").waitFor();
  await inspect("numbers");
  await page.goto(`${base}/portal/send`);
  await inspect("send");
  await page.getByLabel("To", { exact: true }).fill("+15550100001");
  await page.getByLabel("Subject").fill("Referral");
  await page.getByLabel("Message").fill("Sent from the portal.");
  await page.getByRole("button", { name: "Send the fax" }).click();
  await page.waitForURL(/\/portal\/faxes\/fax_/);
  await reloadUntil(".badge.delivered", 60_000);
  await page.locator(".previews img").first().waitFor();
  await inspect("fax-sent");
  await page.goto(`${base}/portal/faxes`);
  await inspect("faxes-sent");
});

test("a fax received over the loopback gateway shows its page", async () => {
  // A live number from the operator's pool; a live fax to itself leaves over SIP/T.38 and comes back in.
  // Live mode starts with no credits: the operator grants some (npm run credits:grant, billing's script).
  await page.goto(`${base}/portal`);
  const accountId = (await page.locator("#account-id").textContent())!.trim();
  await grantLiveCredits(accountId, 20);
  // Live data: the switch at the top of every page; the numbers page then gets live numbers only.
  await page.goto(`${base}/portal/numbers`);
  await page.getByRole("button", { name: "Switch to live" }).click();
  await page.getByText("Live data").first().waitFor();
  await inspect("numbers-live-empty");
  await page.getByRole("button", { name: "Get a number" }).click();
  await page.getByText("The number is yours.").waitFor();
  const live = (await page.locator("td", { hasText: /^\+1555701/ }).first().textContent())!.trim();
  await page.goto(`${base}/portal/send`);
  await page.getByLabel("From").selectOption(live);
  await page.getByLabel("To", { exact: true }).fill(live);
  await page.getByLabel("Message").fill("Round trip over SIP and T.38.");
  await page.getByRole("button", { name: "Send the fax" }).click();
  await page.waitForURL(/\/portal\/faxes\/fax_/);
  await page.goto(`${base}/portal/faxes?direction=inbound`);
  await reloadUntil(".badge.received", 120_000);
  const thumb = page.locator("img.thumb").first();
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0), "the list shows page 1");
  await inspect("faxes-received");
  await page.getByRole("link", { name: /Details/ }).first().click();
  const preview = page.locator(".previews img").first();
  await preview.waitFor();
  assert.ok(await preview.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth >= 1000), "the detail shows the page at full width");
  // The local OCR service reads the page: its text shows per page, under the extracted fields.
  await reloadUntil(".page-text", 120_000);
  await page.getByRole("heading", { name: "Extracted fields" }).waitFor();
  await inspect("fax-received");
});

test("usage and statements, the audit log and its export, external users and an inbox", async () => {
  // Still in live data: the round trip is one fax sent and one received.
  await page.goto(`${base}/portal/usage`);
  await page.locator("figure.chart svg").waitFor();
  assert.equal((await page.locator("#pages-received").textContent())?.trim(), "1");
  await inspect("usage");
  await page.getByLabel("Group by").selectOption("number");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/group_by=number/);
  await inspect("usage-by-number");
  await page.goto(`${base}/portal/statements`);
  await page.getByRole("heading", { name: /, so far$/ }).waitFor();
  await inspect("statements");

  await page.goto(`${base}/portal/audit`);
  assert.ok((await page.locator("td code", { hasText: "portal.sign_in" }).count()) > 0, "the sign-up's sign-in is in the log");
  assert.ok((await page.locator("td", { hasText: ownerEmail }).count()) > 0, "entries name the member by email");
  await inspect("audit");
  await page.getByLabel("Action").selectOption("number.provision");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=number.provision/);
  assert.equal(await page.locator("td code", { hasText: "portal.sign_in" }).count(), 0);
  assert.ok((await page.locator("td code", { hasText: "number.provision" }).count()) >= 2);
  await inspect("audit-filtered");
  const exported = await page.request.get(`${base}/portal/audit/export`);
  assert.equal(exported.status(), 200);
  assert.match(exported.headers()["content-disposition"] ?? "", /^attachment; filename="audit-acct_[a-z0-9]+\.jsonl"$/);
  const { verifyChain } = await import("../../src/audit/chain");
  const lines = (await exported.text()).trim().split("\n");
  const check = verifyChain(lines);
  assert.ok(check.ok, JSON.stringify(check));
  assert.equal(check.entries, lines.length);
  assert.equal(check.first_seq, 1);

  // Back to test data, where the API's test key makes an external user with a dedicated number.
  await page.getByRole("button", { name: "Switch to test" }).click();
  await page.getByText("Test data").first().waitFor();
  await page.goto(`${base}/portal/external-users`);
  await inspect("external-users-empty");
  const put = await fetch(`${base}/v1/external-users/patient-8841`, { method: "PUT", headers: { authorization: `Bearer ${firstKey}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Ada Lovelace", email: "ada@example.com" }) });
  assert.equal(put.status, 201);
  const numbered = await fetch(`${base}/v1/numbers`, { method: "POST", headers: { authorization: `Bearer ${firstKey}`, "content-type": "application/json" }, body: JSON.stringify({ external_user_id: "patient-8841", tier: "business" }) });
  assert.equal(numbered.status, 201);
  await page.reload();
  assert.ok((await page.locator("td", { hasText: "(business)" }).count()) > 0);
  await inspect("external-users");
  await page.getByRole("link", { name: /Inbox/ }).first().click();
  await page.getByLabel("Search the text, sender and remote ident").fill("invoice");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText('No fax in this inbox matches "invoice".').waitFor();
  await inspect("external-user-inbox");
  await page.goto(`${base}/portal/numbers`);
  await page.getByRole("heading", { name: /Business tier/ }).waitFor();
  await inspect("numbers-by-tier");
});

test("webhook endpoints: the secret once, ping, the delivery log, rotation", async () => {
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  await page.goto(`${base}/portal/webhooks`);
  await inspect("webhooks-empty");
  await page.getByLabel("URL").fill(hookUrl);
  await page.getByLabel("fax.delivered").check();
  await page.getByRole("button", { name: "Add the endpoint" }).click();
  assert.match((await page.locator("#webhook-secret").textContent()) ?? "", /^whsec_/);
  await page.getByRole("button", { name: "Send a test event (ping)" }).click();
  await reloadUntil(".badge.succeeded", 30_000);
  assert.ok(hooks.some((h) => h.body.includes('"type":"webhook.ping"') && String(h.headers["webhook-signature"]).startsWith("v1,")));
  await inspect("webhook");
  await page.getByRole("button", { name: "Rotate the secret" }).click();
  assert.match((await page.locator("#webhook-secret").textContent()) ?? "", /^whsec_/);
  await page.getByRole("button", { name: /^Redeliver/ }).first().click();
  await page.getByText("The delivery is queued again").waitFor();
  await page.goto(`${base}/portal/webhooks`);
  await inspect("webhooks");
});

test("each role sees its pages and is refused the others, page and POST", async () => {
  await page.goto(`${base}/portal/team`);
  for (const [email, role] of [
    ["dev@acme.example", "developer"],
    ["money@acme.example", "billing"],
  ] as const) {
    const since = newestMail(outboxDir(stateDir));
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role", { exact: true }).selectOption(role);
    await page.getByRole("button", { name: "Send the invitation" }).click();
    await page.getByText("The invitation is on its way.").waitFor();
    assert.match((await nextMail(since)).text, new RegExp(`To: ${email}\\nSubject: You are invited to Acme Clinic on edgefax`));
  }
  await inspect("team");
  await page.goto(`${base}/portal/keys`);
  await page.getByLabel("Name (optional)").fill("CI");
  await page.getByRole("button", { name: "Create the key" }).click();
  assert.match((await page.locator("#new-key").textContent()) ?? "", /^fx_test_/);
  await inspect("keys");
  await page.goto(`${base}/portal/account`);
  await inspect("account");
  const owner = await context.cookies();

  // Each invitation's link, used in a browser with no session, signs its person in with that role.
  const inviteFor = async (email: string) => {
    const mails = (await import("node:fs")).readdirSync(outboxDir(stateDir)).sort().reverse();
    for (const name of mails) {
      const text = readMail(path.join(outboxDir(stateDir), name));
      if (text.includes(`To: ${email}\n`)) return linkIn(text);
    }
    throw new Error(`no invitation for ${email}`);
  };
  const expectations: Record<string, { allowed: string[]; refused: string[]; refusedPost: [string, Record<string, string>] }> = {
    "dev@acme.example": {
      allowed: ["/portal", "/portal/faxes", "/portal/send", "/portal/numbers", "/portal/external-users", "/portal/webhooks", "/portal/keys"],
      refused: ["/portal/team", "/portal/audit", "/portal/usage"],
      refusedPost: ["/portal/numbers", { mode: "test" }],
    },
    "money@acme.example": {
      allowed: ["/portal", "/portal/account", "/portal/billing", "/portal/usage", "/portal/statements"],
      refused: ["/portal/faxes", "/portal/send", "/portal/numbers", "/portal/external-users", "/portal/webhooks", "/portal/team", "/portal/audit"],
      refusedPost: ["/portal/send", { to: "+15550100001", message: "x" }],
    },
  };
  for (const [email, want] of Object.entries(expectations)) {
    await context.clearCookies();
    await page.goto(await inviteFor(email));
    await page.getByRole("button", { name: "Accept the invitation" }).click();
    await page.waitForURL(`${base}/portal`);
    for (const path of want.allowed) {
      const res = await page.goto(`${base}${path}`);
      assert.equal(res?.status(), 200, `${email} GET ${path}`);
    }
    for (const path of want.refused) {
      const res = await page.goto(`${base}${path}`);
      assert.equal(res?.status(), 403, `${email} GET ${path}`);
      await page.getByRole("heading", { name: "Not allowed for your role" }).waitFor();
    }
    if (email.startsWith("dev")) await inspect("forbidden");
    else {
      await page.goto(`${base}/portal`);
      await inspect("dashboard-billing");
      await page.goto(`${base}/portal/billing?mode=live`);
      await inspect("billing");
    }
    // A form post with a valid token for this session, outside the role: refused too.
    const [postPath, fields] = want.refusedPost;
    const res = await page.request.post(`${base}${postPath}`, { form: { _csrf: await csrfOfPage(), ...fields }, headers: { origin: base }, maxRedirects: 0 });
    assert.equal(res.status(), 403, `${email} POST ${postPath}`);
  }
  await context.clearCookies();
  await context.addCookies(owner);
});

test("CSRF-less and cross-site form posts are refused", async () => {
  await page.goto(`${base}/portal/numbers`);
  const before = await page.locator("tbody tr").count();
  const token = await csrfOfPage();
  const noToken = await page.request.post(`${base}/portal/numbers`, { form: { mode: "test" }, headers: { origin: base }, maxRedirects: 0 });
  assert.equal(noToken.status(), 403);
  const wrongOrigin = await page.request.post(`${base}/portal/numbers`, { form: { _csrf: token, mode: "test" }, headers: { origin: "http://evil.example" }, maxRedirects: 0 });
  assert.equal(wrongOrigin.status(), 403);
  // A real cross-site form (another site: localhost is not 127.0.0.1), even with a stolen token, submitted by the browser.
  evilForm = `<!doctype html><html lang="en"><title>win</title><form method="post" action="${base}/portal/numbers"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="mode" value="test"><button>Claim your prize</button></form></html>`;
  await page.goto(`http://localhost:${evilPort}/`);
  const [answer] = await Promise.all([page.waitForResponse(`${base}/portal/numbers`), page.getByRole("button", { name: "Claim your prize" }).click()]);
  assert.ok([401, 403].includes(answer.status()), `cross-site post answered ${answer.status()}`);
  await page.goto(`${base}/portal/numbers`);
  assert.equal(await page.locator("tbody tr").count(), before, "no number was added");
});

test("a revoked session is out at once", async () => {
  await page.goto(`${base}/portal/account`);
  const stolen = await context.cookies();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await page.waitForURL(`${base}/portal/signin`);
  await inspect("signin");
  // The very same cookie, put back: the server no longer honours it.
  await context.addCookies(stolen);
  await page.goto(`${base}/portal/faxes`);
  assert.equal(new URL(page.url()).pathname, "/portal/signin");
  await signInAs(ownerEmail);
  assert.equal(new URL(page.url()).pathname, "/portal");
});

test("every page was checked and screenshotted", () => {
  assert.deepEqual(
    [...checked].sort(),
    [
      "account",
      "audit",
      "audit-filtered",
      "billing",
      "check-email",
      "dashboard",
      "dashboard-billing",
      "external-user-inbox",
      "external-users",
      "external-users-empty",
      "fax-received",
      "fax-sent",
      "faxes-received",
      "faxes-sent",
      "forbidden",
      "keys",
      "link",
      "numbers",
      "numbers-by-tier",
      "numbers-empty",
      "numbers-live-empty",
      "send",
      "signin",
      "signup",
      "statements",
      "team",
      "usage",
      "usage-by-number",
      "webhook",
      "webhooks",
      "webhooks-empty",
      "welcome",
    ],
  );
});
