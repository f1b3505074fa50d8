/** API keys (issue 19 point 4, on issue 17's keys and scopes): list, create (the key shown once), revoke. */
import type { Context, Hono } from "hono";
import { forgetCachedCredentials } from "../../api/middleware/auth";
import { encodeCursor } from "../../api/pagination";
import { createApiKey, listApiKeys, revokeApiKey } from "../../db/api-key-store";
import { database } from "../../db/client";
import { API_KEY_SCOPES } from "../../db/schema";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, Table, Time } from "../layout";
import { can } from "../permissions";
import { allow } from "../session";

const SCOPE_HINTS: Record<(typeof API_KEY_SCOPES)[number], string> = {
  full: "full: everything",
  send: "send: read, and send, cancel and resend faxes",
  read: "read: list and read only",
};

async function keysPage(c: Context<PortalEnv>, flash?: { key?: string; message?: string; error?: string }, status: 200 | 409 = 200) {
  const member = c.get("member");
  const page = await listApiKeys(database(c.env.DB), member.accountId, 50, cursorOf(c.req.query("cursor")));
  const last = page.data.at(-1);
  const zone = c.get("timeZone");
  const csrf = c.get("csrf");
  const manage = can(member.role, "keys.manage");
  return c.html(
    <Layout title="API keys" member={member} csrf={csrf} current="/portal/keys">
      {flash?.key ? (
        <Notice kind="ok">
          <p>The new key, shown only now (only its hash is stored):</p>
          <code class="secret" id="new-key">
            {flash.key}
          </code>
        </Notice>
      ) : null}
      {flash?.message ? <Notice kind="ok">{flash.message}</Notice> : null}
      {flash?.error ? <Notice kind="error">{flash.error}</Notice> : null}
      {page.data.length === 0 ? (
        <Empty>No API keys. Create one below to call the API.</Empty>
      ) : (
        <Table label="API keys" head={manage ? ["Key", "Name", "Mode", "Scope", "Created", "Revoked", ""] : ["Key", "Name", "Mode", "Scope", "Created", "Revoked"]}>
          {page.data.map((k) => (
            <tr>
              <td>
                <code>{k.keyPrefix}…</code>
              </td>
              <td>{k.name ?? ""}</td>
              <td>{k.mode}</td>
              <td>{k.scope}</td>
              <td>
                <Time iso={k.createdAt} zone={zone} />
              </td>
              <td>
                <Time iso={k.revokedAt} zone={zone} />
              </td>
              {manage ? (
                <td>
                  {k.revokedAt ? null : (
                    <form method="post" action={`/portal/keys/${k.id}/revoke`} class="inline">
                      <CsrfField token={csrf} />
                      <button type="submit" class="danger" aria-label={`Revoke ${k.keyPrefix}`}>
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      )}
      <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/keys" />
      {manage ? (
        <>
          <h2>Create a key</h2>
          <form method="post" action="/portal/keys" class="stack">
            <CsrfField token={csrf} />
            <label for="key-name">Name (optional)</label>
            <input id="key-name" name="name" maxlength={100} />
            <label for="key-mode">Mode</label>
            <select id="key-mode" name="mode">
              <option value="test">test</option>
              <option value="live">live</option>
            </select>
            <label for="key-scope">Scope</label>
            <select id="key-scope" name="scope">
              {API_KEY_SCOPES.map((s) => (
                <option value={s}>{SCOPE_HINTS[s]}</option>
              ))}
            </select>
            <div>
              <button type="submit">Create the key</button>
            </div>
          </form>
        </>
      ) : null}
    </Layout>,
    status,
  );
}

export function registerKeyPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/keys", allow("keys.view"), (c) => keysPage(c, { message: c.req.query("done") === "revoked" ? "The key was revoked: it stops working at once." : undefined }));

  portal.post("/portal/keys", allow("keys.manage"), async (c) => {
    const form = await c.req.parseBody();
    const scope = API_KEY_SCOPES.find((s) => s === form.scope) ?? "full";
    const name = typeof form.name === "string" && form.name.trim() ? form.name.trim().slice(0, 100) : null;
    const created = await createApiKey(database(c.env.DB), { accountId: c.get("member").accountId, mode: form.mode === "live" ? "live" : "test", scope, name });
    c.header("cache-control", "no-store");
    return keysPage(c, { key: created.key });
  });

  portal.post("/portal/keys/:id/revoke", allow("keys.manage"), async (c) => {
    const result = await revokeApiKey(database(c.env.DB), c.get("member").accountId, c.req.param("id"));
    if ("refused" in result) {
      return keysPage(c, { error: result.refused === "not_found" ? "There is no such key." : "This is the account's last active key: create another first." }, 409);
    }
    // This isolate's API may hold the key in its credential cache: drop it, so the key stops at once here too.
    forgetCachedCredentials();
    return c.redirect("/portal/keys?done=revoked", 303);
  });
}
