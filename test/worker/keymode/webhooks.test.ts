/**
 * Webhook endpoints per mode (migration 0017, README "Test and live data"): an endpoint receives only its own
 * mode's events, a key sees and changes only its own mode's endpoints, and each mode has its own default
 * endpoint behind PATCH /v1/settings webhook_url.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "../helpers";
import { createKey } from "../audit/helpers";
import { provisionFor, putUser } from "../partners/partner-helpers";
import { createEndpoint, newReceiver, verified, waitFor, type Receiver } from "../webhooks/receiver";

type Mode = "test" | "live";

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  return JSON.parse(text) as T;
}

describe("webhook endpoints of test and live keys", () => {
  const keys = {} as Record<Mode, string>;
  const receivers = {} as Record<Mode, Receiver>;
  const endpoints = {} as Record<Mode, { id: string; secret: string }>;

  beforeAll(async () => {
    keys.live = (await createTestAccount("live")).key;
    keys.test = (await createKey(keys.live, { mode: "test", name: "test key" })).key;
    for (const mode of ["test", "live"] as const) {
      receivers[mode] = newReceiver();
      endpoints[mode] = await createEndpoint(keys[mode], { url: receivers[mode].url() });
    }
  }, 30_000);

  it("an endpoint receives its own mode's fax and account events, never the other mode's", async () => {
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const faxes = {} as Record<Mode, string>;
    const numbers = {} as Record<Mode, string>;
    for (const mode of ["test", "live"] as const) {
      expect((await putUser(keys[mode], `hook-${mode}`)).status).toBe(201);
      numbers[mode] = (await provisionFor(keys[mode], `hook-${mode}`)).id;
      faxes[mode] = (await json<{ id: string }>(await sendFax(keys[mode], { to: "+15550100001", external_user_id: `hook-${mode}`, documents: [await pdfDocument()], send_at: sendAt }))).id;
    }
    const seen = (mode: Mode) => receivers[mode].requests.map((r) => verified(endpoints[mode].secret, r));
    const subjects = (mode: Mode) =>
      seen(mode).map((e) => `${e.type} ${((e.data.fax ?? e.data.number) as { id: string }).id}`);
    for (const mode of ["test", "live"] as const) {
      // Both events of each mode were fanned out to every endpoint at once, so once each arrived, nothing else is coming.
      await waitFor(`${mode} events`, () => subjects(mode).includes(`fax.scheduled ${faxes[mode]}`) && subjects(mode).includes(`number.provisioned ${numbers[mode]}`));
    }
    for (const [mode, other] of [["test", "live"], ["live", "test"]] as const) {
      expect(subjects(mode).sort()).toEqual([`fax.scheduled ${faxes[mode]}`, `number.provisioned ${numbers[mode]}`].sort());
      expect(subjects(mode).join(" ")).not.toContain(faxes[other]);
      // An account event says its mode.
      expect(seen(mode).find((e) => e.type === "number.provisioned")!.data.mode).toBe(mode);
    }
  });

  it("a key lists only its mode's endpoints and gets the other mode's as another account's: 404 webhook.not_found", async () => {
    for (const [mode, other] of [["test", "live"], ["live", "test"]] as const) {
      const listed = await json<{ data: { id: string }[] }>(await api("/v1/webhooks", { key: keys[mode] }));
      expect(listed.data.map((e) => e.id)).toContain(endpoints[mode].id);
      expect(listed.data.map((e) => e.id)).not.toContain(endpoints[other].id);
      const id = endpoints[other].id;
      await expectProblem(await api(`/v1/webhooks/${id}`, { key: keys[mode] }), 404, "webhook.not_found");
      await expectProblem(await api(`/v1/webhooks/${id}`, { method: "PATCH", key: keys[mode], json: { url: receivers[mode].url("/stolen") } }), 404, "webhook.not_found");
      await expectProblem(await api(`/v1/webhooks/${id}/rotate-secret`, { method: "POST", key: keys[mode] }), 404, "webhook.not_found");
      await expectProblem(await api(`/v1/webhooks/${id}/deliveries`, { key: keys[mode] }), 404, "webhook.not_found");
      await expectProblem(await api(`/v1/webhooks/${id}`, { method: "DELETE", key: keys[mode] }), 404, "webhook.not_found");
      const own = await json<{ url: string; enabled: boolean }>(await api(`/v1/webhooks/${id}`, { key: keys[other] }));
      expect(own).toMatchObject({ url: receivers[other].url(), enabled: true });
    }
  });

  it("every response that returns an endpoint names its mode", async () => {
    for (const mode of ["test", "live"] as const) {
      const created = await createEndpoint(keys[mode], { url: receivers[mode].url("/named"), description: "mode shown" });
      expect(created).toMatchObject({ mode });
      const path = `/v1/webhooks/${created.id}`;
      expect(await json(await api(path, { key: keys[mode] }))).toMatchObject({ id: created.id, mode });
      const listed = await json<{ data: { id: string; mode: string }[] }>(await api("/v1/webhooks", { key: keys[mode] }));
      expect(listed.data.map((e) => e.mode)).toEqual(listed.data.map(() => mode));
      expect(await json(await api(path, { method: "PATCH", key: keys[mode], json: { description: "renamed" } }))).toMatchObject({ description: "renamed", mode });
      expect(await json(await api(path, { method: "DELETE", key: keys[mode] }))).toMatchObject({ id: created.id, mode });
    }
  });

  it("each mode has its own default endpoint behind PATCH /v1/settings webhook_url", async () => {
    const settings = async (mode: Mode) => json<{ webhook_url: string | null; webhook_endpoint_id: string | null }>(await api("/v1/settings", { key: keys[mode] }));
    const patch = async (mode: Mode, url: string | null) =>
      json<{ webhook_url: string | null; webhook_endpoint_id: string | null; webhook_secret?: string }>(await api("/v1/settings", { method: "PATCH", key: keys[mode], json: { webhook_url: url } }));
    const testDefault = await patch("test", "https://test-default.example.com/hooks");
    expect(testDefault.webhook_secret).toMatch(/^whsec_/);
    expect(await settings("live")).toMatchObject({ webhook_url: null, webhook_endpoint_id: null });
    const liveDefault = await patch("live", "https://live-default.example.com/hooks");
    expect(liveDefault.webhook_secret).toMatch(/^whsec_/);
    expect(liveDefault.webhook_endpoint_id).not.toBe(testDefault.webhook_endpoint_id);
    expect(await settings("test")).toMatchObject({ webhook_url: "https://test-default.example.com/hooks", webhook_endpoint_id: testDefault.webhook_endpoint_id });
    await expectProblem(await api(`/v1/webhooks/${liveDefault.webhook_endpoint_id}`, { key: keys.test }), 404, "webhook.not_found");
    // Moving and removing one mode's default leaves the other's alone.
    const moved = await patch("test", "https://test-moved.example.com/hooks");
    expect(moved).toMatchObject({ webhook_endpoint_id: testDefault.webhook_endpoint_id, webhook_url: "https://test-moved.example.com/hooks" });
    expect(await patch("live", null)).toMatchObject({ webhook_url: null, webhook_endpoint_id: null });
    expect(await settings("test")).toMatchObject({ webhook_url: "https://test-moved.example.com/hooks" });
    await expectProblem(await api(`/v1/webhooks/${liveDefault.webhook_endpoint_id}`, { key: keys.live }), 404, "webhook.not_found");
  });

  it("the callback deliveries (to a fax's own webhook_url) of one mode are invisible and not resendable with the other mode's key", async () => {
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const urls = { test: receivers.test.url("/callback-test"), live: receivers.live.url("/callback-live") };
    for (const mode of ["test", "live"] as const) {
      expect((await putUser(keys[mode], `callback-${mode}`)).status).toBe(201);
      await provisionFor(keys[mode], `callback-${mode}`);
      await json(await sendFax(keys[mode], { to: "+15550100001", external_user_id: `callback-${mode}`, documents: [await pdfDocument()], send_at: sendAt, webhook_url: urls[mode] }));
    }
    type Delivery = { id: string; url: string | null; event_type: string };
    const listed = async (mode: Mode) => (await json<{ data: Delivery[] }>(await api("/v1/webhooks/callback-deliveries", { key: keys[mode] }))).data;
    await waitFor("both modes' callback deliveries", async () => (await listed("test")).some((d) => d.url === urls.test) && (await listed("live")).some((d) => d.url === urls.live));
    for (const [mode, other] of [["test", "live"], ["live", "test"]] as const) {
      const own = await listed(mode);
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((d) => d.url === urls[mode])).toBe(true);
      const theirs = (await listed(other)).find((d) => d.url === urls[other])!;
      await expectProblem(await api(`/v1/webhooks/callback-deliveries/${theirs.id}/redeliver`, { method: "POST", key: keys[mode] }), 404, "webhook.delivery_not_found");
    }
    const live = (await listed("live"))[0]!;
    expect((await api(`/v1/webhooks/callback-deliveries/${live.id}/redeliver`, { method: "POST", key: keys.live })).status).toBe(202);
  });
});
