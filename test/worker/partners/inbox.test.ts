// Issue 15 point 4: a user's inbox, newest first, with cursor pages and the unread/image_downloaded filters
// (the read state itself: read-state.test.ts).
import { describe, expect, it } from "vitest";
import type { Fax } from "../../../src/fax/schema";
import { api, expectProblem } from "../helpers";
import { createPartner, inbox, inboxIds, receiveFax } from "./partner-helpers";

describe("the inbox", () => {
  it("pages newest first, filters unread and image_downloaded, and searches", async () => {
    const partner = await createPartner(["reader"]);
    const number = partner.users.reader!.number;
    const ids: string[] = [];
    for (const caller of ["+14155550401", "+14155550402", "+14155550403"]) ids.push(await receiveFax(number, caller));
    const newestFirst = [...ids].reverse();
    expect(await inboxIds(partner.key, "reader")).toEqual(newestFirst);

    const first = await (await inbox(partner.key, "reader", "?limit=2")).json<{ data: Fax[]; has_more: boolean; next_cursor: string }>();
    expect(first.data.map((f) => f.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    expect(await inboxIds(partner.key, "reader", `?limit=2&cursor=${first.next_cursor}`)).toEqual(newestFirst.slice(2));

    // Downloading the image without the user's id is the partner's read, not the user's: still unread.
    expect((await api(`/v1/faxes/${ids[0]}/image`, { key: partner.key })).status).toBe(200);
    expect(await inboxIds(partner.key, "reader", "?image_downloaded=true")).toEqual([ids[0]]);
    expect(await inboxIds(partner.key, "reader", "?image_downloaded=false")).toEqual(newestFirst.slice(0, 2));
    expect(await inboxIds(partner.key, "reader", "?unread=true")).toEqual(newestFirst);
    // Opened under the user's id: read.
    expect((await api(`/v1/faxes/${ids[0]}/document?external_user_id=reader`, { key: partner.key })).status).toBe(200);
    expect(await inboxIds(partner.key, "reader", "?unread=true")).toEqual(newestFirst.slice(0, 2));
    expect(await inboxIds(partner.key, "reader", "?unread=false")).toEqual([ids[0]]);
    expect(await inboxIds(partner.key, "reader", "?unread=true&image_downloaded=true")).toEqual([]);

    const found = await (await inbox(partner.key, "reader", "?q=14155550402")).json<{ data: (Fax & { search: { rank: number; snippet: string } })[] }>();
    expect(found.data.map((f) => f.id)).toEqual([ids[1]]);
    expect(typeof found.data[0]!.search.rank).toBe("number");
    expect(await inboxIds(partner.key, "reader", "?q=14155550402&unread=false")).toEqual([]);
  });

  it("refuses bad parameters and unknown users", async () => {
    const partner = await createPartner(["reader"]);
    await expectProblem(await inbox(partner.key, "reader", "?limit=101"), 422, "request.invalid");
    await expectProblem(await inbox(partner.key, "reader", "?unread=maybe"), 422, "request.invalid");
    await expectProblem(await inbox(partner.key, "reader", "?cursor=abc"), 400, "request.cursor_invalid");
    await expectProblem(await inbox(partner.key, "nobody"), 404, "external_user.not_found");
    await expectProblem(await api("/v1/external-users/reader/inbox"), 401, "auth.missing");
    expect(await inboxIds(partner.key, "reader")).toEqual([]);
  });
});
