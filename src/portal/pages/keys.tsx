/**
 * API keys (issue 19 point 4, on issue 17's keys and scopes): list, create (the key shown once), revoke, in
 * the session's test/live context. A member creates and revokes only keys whose scope their role holds
 * (ROLE_KEY_SCOPE in src/portal/permissions.ts).
 */
import type { Context, Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { apiKeyObject } from "../../db/api-key-object";
import { createApiKey, findApiKey, listApiKeys } from "../../db/api-key-store";
import { database } from "../../db/client";
import { API_KEY_SCOPES } from "../../db/schema";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, PostButton, Table, Time } from "../layout";
import { auditMember } from "../audit";
import { can, scopesHeldBy } from "../permissions";
import { allow } from "../session";

const SCOPE_HINTS: Record<(typeof API_KEY_SCOPES)[number], string> = {
  full: "full: everything",
  send: "send: read, and send, cancel and resend faxes",
  read: "read: list and read only",
};

async function keysPage(c: Context<PortalEnv>, flash?: { key?: string; message?: string; error?: string }, status: 200 | 403 | 409 = 200) {
  const member = c.get("member");
  const page = await listApiKeys(database(c.env.DB), member.accountId, 50, cursorOf(c.req.query("cursor")), member.mode);
  const held = scopesHeldBy(member.role);
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
        <Empty>No {member.mode} API keys. {manage ? "Create one below to call the API." : ""}</Empty>
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
                  {k.revokedAt || !held.includes(k.scope) ? null : (
                    <PostButton action={`/portal/keys/${k.id}/revoke`} csrf={csrf} label="Revoke" kind="danger" ariaLabel={`Revoke ${k.keyPrefix}`} />
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
          <h2>Create a {member.mode} key</h2>
          <form method="post" action="/portal/keys" class="stack">
            <CsrfField token={csrf} />
            <label for="key-name">Name (optional)</label>
            <input id="key-name" name="name" maxlength={100} />
            <p class="hint">
              {member.mode === "live" ? "A live key sends real faxes and spends live credits." : "A test key never reaches a phone line."} Switch between test and live data at the top
              of the page.
            </p>
            <label for="key-scope">Scope</label>
            <select id="key-scope" name="scope" aria-describedby="key-scope-hint">
              {API_KEY_SCOPES.filter((s) => held.includes(s)).map((s) => (
                <option value={s}>{SCOPE_HINTS[s]}</option>
              ))}
            </select>
            <span id="key-scope-hint" class="hint">
              As a {member.role} you may create keys with the scopes your role holds: {held.join(", ")}.
            </span>
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
    const member = c.get("member");
    const form = await c.req.parseBody();
    const scope = API_KEY_SCOPES.find((s) => s === form.scope);
    if (!scope) return keysPage(c, { error: `Choose a scope: ${scopesHeldBy(member.role).join(", ")}.` }, 409);
    if (!scopesHeldBy(member.role).includes(scope)) {
      return keysPage(c, { error: `A ${member.role} may not create a ${scope} key: a key may do only what its creator's role may (${scopesHeldBy(member.role).join(", ")}).` }, 403);
    }
    const name = typeof form.name === "string" && form.name.trim() ? form.name.trim().slice(0, 100) : null;
    // The key's mode is the session's context, never a form field: a test context cannot mint a live key.
    const created = await createApiKey(database(c.env.DB), { accountId: member.accountId, mode: member.mode, scope, name });
    auditMember(c, "api_key.create", { type: "api_key", id: created.row.id });
    c.header("cache-control", "no-store");
    return keysPage(c, { key: created.key });
  });

  portal.post("/portal/keys/:id/revoke", allow("keys.manage"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const id = c.req.param("id");
    const key = await findApiKey(db, member.accountId, id);
    if (!key || key.mode !== member.mode) return keysPage(c, { error: "There is no such key." }, 409);
    if (!scopesHeldBy(member.role).includes(key.scope)) {
      return keysPage(c, { error: `A ${member.role} may not revoke a ${key.scope} key: ask an owner or admin.` }, 403);
    }
    // Through the key's ApiKeyObject, as the API's DELETE: refused everywhere from the next request on.
    const result = await apiKeyObject(c.env, id).revoke(member.accountId, id);
    if ("refused" in result) {
      return keysPage(c, { error: result.refused === "not_found" ? "There is no such key." : "This is the account's last active key: create another first." }, 409);
    }
    auditMember(c, "api_key.revoke", { type: "api_key", id });
    return c.redirect("/portal/keys?done=revoked", 303);
  });
}
