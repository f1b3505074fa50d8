/** Partners' test fixtures: a partner account with users and their numbers, and faxes received on them. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import "../../../src/codec/worker";
import { writeTiff } from "../../../src/codec";
import type { Fax } from "../../../src/fax/schema";
import { toBase64 } from "../../../src/lib/crypto";
import { api, createTestAccount, gatewayPost, stripedPage, type TestAccount } from "../helpers";

export interface UserNumber {
  id: string;
  number: string;
  tier: string | null;
  external_user_id: string | null;
}

export interface Partner extends TestAccount {
  users: Record<string, UserNumber>;
}

export async function putUser(key: string, externalUserId: string, body: Record<string, unknown> = {}): Promise<Response> {
  return api(`/v1/external-users/${encodeURIComponent(externalUserId)}`, { method: "PUT", key, json: body });
}

export async function provisionFor(key: string, externalUserId: string, extra: Record<string, unknown> = {}): Promise<UserNumber> {
  const res = await api("/v1/numbers", { method: "POST", key, json: { external_user_id: externalUserId, ...extra } });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<UserNumber>();
}

/** A partner account with one user (and one number) per id. */
export async function createPartner(userIds: string[], mode: "test" | "live" = "test"): Promise<Partner> {
  const account = await createTestAccount(mode);
  const users: Record<string, UserNumber> = {};
  for (const id of userIds) {
    expect((await putUser(account.key, id, { name: `User ${id}` })).status).toBe(201);
    users[id] = await provisionFor(account.key, id);
  }
  return { ...account, users };
}

/** A fax of `pages` pages arriving from `caller` on `callee`, through the gateway's signed upload (the same `call` is the same fax). */
export async function receiveFax(callee: string, caller: string, pages = 1, call = { id: `call-${crypto.randomUUID()}`, at: new Date().toISOString() }): Promise<string> {
  const tiff = writeTiff(
    Array.from({ length: pages }, (_, i) => ({ bitmap: stripedPage(i, 64), xResolution: 204, yResolution: 196 })),
    { scheme: "mh" },
  );
  const res = await gatewayPost("/internal/gateway/inbound", { call_id: call.id, caller, callee, remote_ident: caller, received_at: call.at, tiff: toBase64(tiff) });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = await res.json<{ fax_id: string; status: string }>();
  expect(body.status).toBe("received");
  return body.fax_id;
}

export async function inbox(key: string, externalUserId: string, query = ""): Promise<Response> {
  return api(`/v1/external-users/${encodeURIComponent(externalUserId)}/inbox${query}`, { key });
}

export async function inboxIds(key: string, externalUserId: string, query = ""): Promise<string[]> {
  const res = await inbox(key, externalUserId, query);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ data: Fax[] }>()).data.map((f) => f.id);
}

/** Moves the clock past the release grace period of the numbers `externalUserId` had in the account (they stop routing). */
export async function endReleaseGrace(accountId: string, externalUserId: string): Promise<void> {
  await env.DB.prepare("UPDATE numbers SET routes_until = ? WHERE account_id = ? AND external_user_id = ? AND released_at IS NOT NULL")
    .bind(new Date(Date.now() - 1000).toISOString(), accountId, externalUserId)
    .run();
}
