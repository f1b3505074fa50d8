// Issue 15 point 4: an inbox fax's read state (read_at) is the user's own: set by the first fetch of the fax or its
// files under that user's id, kept by later ones, set or cleared by PATCH, and never by another user or the partner's
// own unscoped reads.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Edgefax } from "../../../sdk/src/index";
import type { Fax } from "../../../src/fax/schema";
import { api, expectProblem } from "../helpers";
import { createPartner, inbox, inboxIds, receiveFax } from "./partner-helpers";

type InboxFax = Fax & { read_at: string | null };

async function readAt(key: string, user: string, faxId: string): Promise<string | null | undefined> {
  const page = await (await inbox(key, user)).json<{ data: InboxFax[] }>();
  return page.data.find((f) => f.id === faxId)?.read_at;
}

const mark = (key: string, user: string, faxId: string, body: unknown) =>
  api(`/v1/external-users/${user}/inbox/${faxId}`, { method: "PATCH", key, json: body });

describe("the inbox read state", () => {
  it("each way of opening a fax under the user's id reads it; events, other users and unscoped reads do not", async () => {
    const partner = await createPartner(["ann", "ben"]);
    const opens = ["", "/document", "/image", "/image?format=tiff", "/pages/1", "/text"];
    const faxes: string[] = [];
    for (let i = 0; i < opens.length + 1; i++) faxes.push(await receiveFax(partner.users.ann!.number, `+1415555060${i}`));
    expect(await inboxIds(partner.key, "ann", "?unread=true")).toHaveLength(faxes.length);

    // Not reads by the user: the events of the fax, the partner's own fetch, another user's attempt (404).
    const last = faxes.at(-1)!;
    expect((await api(`/v1/faxes/${last}/events?external_user_id=ann`, { key: partner.key })).status).toBe(200);
    expect((await api(`/v1/faxes/${last}`, { key: partner.key })).status).toBe(200);
    expect((await api(`/v1/faxes/${last}/document`, { key: partner.key })).status).toBe(200);
    await expectProblem(await api(`/v1/faxes/${last}?external_user_id=ben`, { key: partner.key }), 404, "fax.not_found");
    expect(await readAt(partner.key, "ann", last)).toBeNull();

    for (const [i, path] of opens.entries()) {
      const sep = path.includes("?") ? "&" : "?";
      const res = await api(`/v1/faxes/${faxes[i]}${path}${sep}external_user_id=ann`, { key: partner.key });
      expect(res.status, res.status === 200 ? path : `${path}: ${await res.text()}`).toBe(200);
      expect(await readAt(partner.key, "ann", faxes[i]!), path || "the fax itself").toEqual(expect.any(String));
    }
    expect(await inboxIds(partner.key, "ann", "?unread=true")).toEqual([last]);
    expect(await inboxIds(partner.key, "ben", "?unread=false")).toEqual([]);

    // A second read keeps the first read time.
    const first = await readAt(partner.key, "ann", faxes[0]!);
    await new Promise((r) => setTimeout(r, 5));
    expect((await api(`/v1/faxes/${faxes[0]}?external_user_id=ann`, { key: partner.key })).status).toBe(200);
    expect(await readAt(partner.key, "ann", faxes[0]!)).toBe(first);
  });

  it("PATCH marks a fax read or unread, for its own user only", async () => {
    const partner = await createPartner(["ann", "ben"]);
    const other = await createPartner(["ann"]);
    const fax = await receiveFax(partner.users.ann!.number, "+14155550610");

    const read = await mark(partner.key, "ann", fax, { read: true });
    expect(read.status, await read.clone().text()).toBe(200);
    const body = await read.json<InboxFax>();
    expect(body).toMatchObject({ id: fax, direction: "inbound", external_user_id: "ann", read_at: expect.any(String) });
    expect(await inboxIds(partner.key, "ann", "?unread=true")).toEqual([]);

    const unread = await (await mark(partner.key, "ann", fax, { read: false })).json<InboxFax>();
    expect(unread.read_at).toBeNull();
    expect(await inboxIds(partner.key, "ann", "?unread=true")).toEqual([fax]);
    expect(await readAt(partner.key, "ann", fax)).toBeNull();

    await expectProblem(await mark(partner.key, "ben", fax, { read: true }), 404, "fax.not_found");
    await expectProblem(await mark(other.key, "ann", fax, { read: true }), 404, "fax.not_found");
    await expectProblem(await mark(partner.key, "nobody", fax, { read: true }), 404, "external_user.not_found");
    await expectProblem(await mark(partner.key, "ann", fax, { read: "yes" }), 422, "request.invalid");
    await expectProblem(await mark(partner.key, "ann", fax, { read: true, seen: true }), 422, "request.invalid");
    expect(await inboxIds(partner.key, "ann", "?unread=true")).toEqual([fax]);

    // A fax the user sent is not in the inbox: nothing to mark.
    const sent = await api("/v1/faxes", { method: "POST", key: partner.key, json: { external_user_id: "ann", to: "+15550100001", cover_page: { subject: "x" } } });
    expect(sent.status, await sent.clone().text()).toBe(202);
    await expectProblem(await mark(partner.key, "ann", (await sent.json<{ id: string }>()).id, { read: true }), 404, "fax.not_found");
  });

  it("the SDK lists the inbox with read_at and marks a fax read and unread", async () => {
    const partner = await createPartner(["cal"]);
    const fax = await receiveFax(partner.users.cal!.number, "+14155550620");
    const client = new Edgefax({ apiKey: partner.key, baseUrl: "https://fax.test", fetch: (input, init) => SELF.fetch(input as string, init) });
    expect((await client.externalUsers.inbox("cal", { unread: "true" }).toArray()).map((f) => [f.id, f.read_at])).toEqual([[fax, null]]);
    expect((await client.externalUsers.markRead("cal", fax, { read: true })).read_at).toEqual(expect.any(String));
    expect(await client.externalUsers.inbox("cal", { unread: "true" }).toArray()).toEqual([]);
    expect((await client.externalUsers.markRead("cal", fax, { read: false })).read_at).toBeNull();
  });
});
