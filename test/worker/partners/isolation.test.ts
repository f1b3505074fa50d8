// Issue 15 point 3: two partners with two users each; every cross-partner and cross-user read is a 404.
import { beforeAll, describe, expect, it } from "vitest";
import type { Fax } from "../../../src/fax/schema";
import { api, expectProblem, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { createPartner, inbox, inboxIds, receiveFax, type Partner } from "./partner-helpers";

let p1: Partner;
let p2: Partner;
/** fax ids by owner: "p1/alice", "p1/bob", "p2/alice", "p2/carol"; outbound fax sent for p1/alice. */
const received: Record<string, string> = {};
let sentForAlice: string;

beforeAll(async () => {
  // The same external id (alice) in both partners: still two users.
  p1 = await createPartner(["alice", "bob"]);
  p2 = await createPartner(["alice", "carol"]);
  received["p1/alice"] = await receiveFax(p1.users.alice!.number, "+14155550111");
  received["p1/bob"] = await receiveFax(p1.users.bob!.number, "+14155550122");
  received["p2/alice"] = await receiveFax(p2.users.alice!.number, "+14155550133");
  received["p2/carol"] = await receiveFax(p2.users.carol!.number, "+14155550144");
  const sent = await sendFax(p1.key, { to: "+15550100001", external_user_id: "alice", documents: [await pdfDocument()] });
  expect(sent.status).toBe(202);
  sentForAlice = (await sent.json<Fax>()).id;
  await waitForFinal(p1.key, sentForAlice);
}, 60_000);

/** Every read of one fax: the fax, its timeline, its document link, a page preview, its image. */
const faxReads = (id: string, query = "") => [
  `/v1/faxes/${id}${query}`,
  `/v1/faxes/${id}/events${query}`,
  `/v1/faxes/${id}/document${query}`,
  `/v1/faxes/${id}/pages/1${query}`,
  `/v1/faxes/${id}/image${query}`,
];

describe("partner isolation", () => {
  it("each user's inbox holds only the faxes received on that user's numbers", async () => {
    expect(await inboxIds(p1.key, "alice")).toEqual([received["p1/alice"]]);
    expect(await inboxIds(p1.key, "bob")).toEqual([received["p1/bob"]]);
    expect(await inboxIds(p2.key, "alice")).toEqual([received["p2/alice"]]);
    expect(await inboxIds(p2.key, "carol")).toEqual([received["p2/carol"]]);
  });

  it("another partner gets 404 for every read of a partner's fax, with or without a user id", async () => {
    for (const id of [received["p1/alice"]!, sentForAlice]) {
      for (const path of [...faxReads(id), ...faxReads(id, "?external_user_id=alice")]) {
        await expectProblem(await api(path, { key: p2.key }), 404, "fax.not_found");
      }
    }
  });

  it("within a partner, a fax is 404 under another user's id and 200 under its own", async () => {
    for (const path of faxReads(received["p1/alice"]!, "?external_user_id=bob")) {
      await expectProblem(await api(path, { key: p1.key }), 404, "fax.not_found");
    }
    for (const path of faxReads(sentForAlice, "?external_user_id=bob")) {
      await expectProblem(await api(path, { key: p1.key }), 404, "fax.not_found");
    }
    for (const path of faxReads(received["p1/alice"]!, "?external_user_id=alice")) {
      const res = await api(path, { key: p1.key });
      expect(res.status, path).toBe(200);
    }
    // Writes too: another user's fax cannot be resent under bob.
    await expectProblem(await api(`/v1/faxes/${sentForAlice}/resend?external_user_id=bob`, { method: "POST", key: p1.key, json: {} }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${sentForAlice}?external_user_id=bad%20id`, { key: p1.key }), 422, "request.invalid");
  });

  it("lists and searches filtered by user never show another user's or partner's faxes", async () => {
    const list = async (key: string, path: string) => (await (await api(path, { key })).json<{ data: Fax[] }>()).data.map((f) => f.id);
    expect((await list(p1.key, "/v1/faxes?external_user_id=alice")).sort()).toEqual([received["p1/alice"], sentForAlice].sort());
    expect(await list(p1.key, "/v1/faxes?external_user_id=bob")).toEqual([received["p1/bob"]]);
    expect(await list(p1.key, "/v1/faxes?external_user_id=carol")).toEqual([]);
    expect(await list(p2.key, "/v1/faxes?external_user_id=alice")).toEqual([received["p2/alice"]]);
    expect(await list(p1.key, "/v1/faxes/received?external_user_id=alice")).toEqual([received["p1/alice"]]);
    // Search: bob's sender is not found under alice, nor p2's under p1's users.
    expect(await list(p1.key, "/v1/faxes/received?external_user_id=alice&search_text=4155550122")).toEqual([]);
    expect(await list(p1.key, "/v1/faxes/received?external_user_id=bob&search_text=4155550122")).toEqual([received["p1/bob"]]);
    expect(await inboxIds(p1.key, "alice", "?q=4155550122")).toEqual([]);
    expect(await inboxIds(p1.key, "alice", "?q=4155550133")).toEqual([]);
    expect(await inboxIds(p1.key, "alice", "?q=4155550111")).toEqual([received["p1/alice"]]);
    expect(await list(p2.key, "/v1/faxes/received?search_text=4155550111")).toEqual([]);
  });

  it("another partner's users, their inboxes and numbers are 404", async () => {
    await expectProblem(await api("/v1/external-users/bob", { key: p2.key }), 404, "external_user.not_found");
    await expectProblem(await inbox(p2.key, "bob"), 404, "external_user.not_found");
    await expectProblem(await inbox(p1.key, "carol"), 404, "external_user.not_found");
    await expectProblem(await api(`/v1/numbers/${p1.users.bob!.id}`, { key: p2.key }), 404, "number.not_found");
    await expectProblem(await api(`/v1/numbers/${p1.users.bob!.id}`, { method: "PATCH", key: p2.key, json: { tier: "business" } }), 404, "number.not_found");
    await expectProblem(await api(`/v1/numbers/${p1.users.bob!.id}`, { method: "DELETE", key: p2.key }), 404, "number.not_found");
    const numbers = await (await api("/v1/numbers?external_user_id=alice", { key: p2.key })).json<{ data: { id: string }[] }>();
    expect(numbers.data.map((n) => n.id)).toEqual([p2.users.alice!.id]);
    // Sending for another partner's user is refused: the user does not exist here.
    await expectProblem(await sendFax(p2.key, { to: "+15550100001", external_user_id: "bob", documents: [await pdfDocument()] }), 404, "external_user.not_found");
  });

  it("every fax and fax event of a user's number carries external_user_id", async () => {
    for (const id of [received["p1/alice"]!, sentForAlice]) {
      const fax = await (await api(`/v1/faxes/${id}`, { key: p1.key })).json<Fax>();
      expect(fax.external_user_id).toBe("alice");
      const events = await (await api(`/v1/faxes/${id}/events`, { key: p1.key })).json<{ data: { type: string; data: { external_user_id?: string; fax: Fax } }[] }>();
      expect(events.data.length).toBeGreaterThan(0);
      for (const event of events.data) {
        expect(event.data.external_user_id, event.type).toBe("alice");
        expect(event.data.fax.external_user_id).toBe("alice");
      }
    }
    expect((await api(`/v1/faxes/${received["p2/alice"]}`, { key: p2.key }).then((r) => r.json<Fax>())).external_user_id).toBe("alice");
  });
});
