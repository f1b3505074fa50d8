/**
 * Webhook endpoints: list and add (the secret shown once), an endpoint's delivery log with each attempt,
 * redeliver, ping, secret rotation, enable/disable and delete. The same stores and domain functions as /v1/webhooks.
 */
import type { Context, Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { database } from "../../db/client";
import { deleteEndpoint, findEndpoint, findEndpointDelivery, listDeliveries, listEndpoints, updateEndpoint, type WebhookEndpointRow } from "../../db/webhook-store";
import { ApiError } from "../../errors/api-error";
import { EVENT_TYPES, type EventType } from "../../events/catalog";
import { isId } from "../../lib/ids";
import { createEndpoint, pingEndpoint, redeliver, rotateEndpointSecret } from "../../webhooks/endpoints";
import { webhookUrlRefusal } from "../../webhooks/url-policy";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, PostButton, Table, Time } from "../layout";
import { auditMember } from "../audit";
import { allow } from "../session";
import { notFoundPage } from "./errors";
import { StatusBadge } from "./faxes";

const SecretOnce = ({ secret }: { secret: string }) => (
  <Notice kind="ok">
    <p>The signing secret, shown only now (it is stored encrypted and never shown again):</p>
    <code class="secret" id="webhook-secret">
      {secret}
    </code>
  </Notice>
);

async function endpointOf(c: Context<PortalEnv>): Promise<WebhookEndpointRow | undefined> {
  const id = c.req.param("id") ?? "";
  return isId(id, "whe") ? findEndpoint(database(c.env.DB), c.get("member"), id) : undefined;
}

function listPage(c: Context<PortalEnv>, endpoints: { data: WebhookEndpointRow[]; hasMore: boolean }, extra: { error?: string; url?: string } = {}, status: 200 | 422 = 200) {
  const member = c.get("member");
  const zone = c.get("timeZone");
  const last = endpoints.data.at(-1);
  return c.html(
    <Layout title="Webhooks" member={member} csrf={c.get("csrf")} current="/portal/webhooks">
      {c.req.query("done") === "deleted" ? <Notice kind="ok">The endpoint was deleted.</Notice> : null}
      <p>
        These endpoints receive {member.mode} events only; the {member.mode === "test" ? "live" : "test"} context has its own.
      </p>
      {endpoints.data.length === 0 ? (
        <Empty>No endpoints yet. Add one below to receive signed events (Standard Webhooks v1) such as fax.delivered and fax.received.</Empty>
      ) : (
        <Table label="Webhook endpoints" head={["URL", "Events", "State", "Created", ""]}>
          {endpoints.data.map((e) => (
            <tr>
              <td>{e.url}</td>
              <td>{(JSON.parse(e.eventTypes) as string[]).join(", ")}</td>
              <td>{e.enabled ? "enabled" : `disabled${e.disabledReason ? `: ${e.disabledReason}` : ""}`}</td>
              <td>
                <Time iso={e.createdAt} zone={zone} />
              </td>
              <td>
                <a href={`/portal/webhooks/${e.id}`}>
                  Delivery log<span class="skip"> of {e.url}</span>
                </a>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <Pager next={endpoints.hasMore && last ? encodeCursor(last.id) : null} base="/portal/webhooks" />
      <h2>Add an endpoint</h2>
      {extra.error ? <Notice kind="error">{extra.error}</Notice> : null}
      <form method="post" action="/portal/webhooks" class="stack">
        <CsrfField token={c.get("csrf")} />
        <label>
          URL
          <input name="url" type="url" required maxlength={2000} placeholder="https://example.com/webhooks/edgefax" value={extra.url ?? ""} />
        </label>
        <label for="webhook-description">Description (optional)</label>
        <input id="webhook-description" name="description" maxlength={500} />
        <fieldset>
          <legend>Events (none ticked: all of them)</legend>
          {(Object.keys(EVENT_TYPES) as EventType[]).map((t) => (
            <label style="display:flex;gap:.4rem;font-weight:400">
              <input type="checkbox" name="event_types" value={t} /> {t}
            </label>
          ))}
        </fieldset>
        <div>
          <button type="submit">Add the endpoint</button>
        </div>
      </form>
    </Layout>,
    status,
  );
}

async function detailPage(c: Context<PortalEnv>, endpoint: WebhookEndpointRow, flash?: { secret?: string; message?: string }) {
  const member = c.get("member");
  const zone = c.get("timeZone");
  const csrf = c.get("csrf");
  const page = await listDeliveries(database(c.env.DB), member.accountId, { endpointId: endpoint.id }, { limit: 25, before: cursorOf(c.req.query("cursor")) });
  const last = page.data.at(-1);
  const action = (path: string, label: string, kind: "secondary" | "danger" = "secondary") => (
    <PostButton action={`/portal/webhooks/${endpoint.id}/${path}`} csrf={csrf} label={label} kind={kind} />
  );
  return c.html(
    <Layout title={`Webhook endpoint ${endpoint.url}`} member={member} csrf={csrf} current="/portal/webhooks">
      {flash?.secret ? <SecretOnce secret={flash.secret} /> : null}
      {flash?.message ? <Notice kind="ok">{flash.message}</Notice> : null}
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{endpoint.id}</code>
        </dd>
        <dt>Events</dt>
        <dd>{(JSON.parse(endpoint.eventTypes) as string[]).join(", ")}</dd>
        <dt>State</dt>
        <dd>{endpoint.enabled ? "enabled" : `disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""}`}</dd>
        <dt>Previous secret</dt>
        <dd>
          {endpoint.previousSecretExpiresAt && Date.parse(endpoint.previousSecretExpiresAt) > Date.now() ? (
            <>
              signs beside the new one until <Time iso={endpoint.previousSecretExpiresAt} zone={zone} />
            </>
          ) : (
            "none"
          )}
        </dd>
      </dl>
      <div class="actions" style="margin:1rem 0">
        {action("ping", "Send a test event (ping)")}
        {action("rotate", "Rotate the secret")}
        {action(endpoint.enabled ? "disable" : "enable", endpoint.enabled ? "Disable" : "Enable")}
        {action("delete", "Delete the endpoint", "danger")}
      </div>
      <h2>Delivery log</h2>
      {page.data.length === 0 ? (
        <Empty>No deliveries yet. Send a test event with "ping", or wait for the next event this endpoint subscribes to.</Empty>
      ) : (
        <Table label="Delivery log" head={["Event", "Status", "Attempts", "Last answer", "Next retry", ""]}>
          {page.data.map(({ delivery, attempts }) => {
            const lastAttempt = attempts.at(-1);
            return (
              <tr>
                <td>
                  <code>{delivery.eventType}</code>
                  <br />
                  <span class="hint">
                    <Time iso={delivery.createdAt} zone={zone} />
                  </span>
                </td>
                <td>
                  <StatusBadge status={delivery.status} />
                </td>
                <td>{delivery.attempts}</td>
                <td>
                  {lastAttempt ? (
                    <>
                      {lastAttempt.statusCode ?? "no answer"} in {lastAttempt.latencyMs} ms{lastAttempt.error ? ` (${lastAttempt.error})` : ""}
                      {lastAttempt.responseExcerpt ? (
                        <>
                          <br />
                          <span class="hint">{lastAttempt.responseExcerpt.slice(0, 120)}</span>
                        </>
                      ) : null}
                    </>
                  ) : (
                    <span class="hint">not attempted yet</span>
                  )}
                </td>
                <td>
                  <Time iso={delivery.status === "pending" ? delivery.nextRetryAt : null} zone={zone} />
                </td>
                <td>
                  <PostButton action={`/portal/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`} csrf={csrf} label="Redeliver" ariaLabel={`Redeliver ${delivery.eventType} ${delivery.id}`} />
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      <Pager next={page.hasMore && last ? encodeCursor(last.delivery.id) : null} base={`/portal/webhooks/${endpoint.id}`} />
    </Layout>,
  );
}

export function registerWebhookPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/webhooks", allow("webhooks.view"), async (c) =>
    listPage(c, await listEndpoints(database(c.env.DB), c.get("member"), 25, cursorOf(c.req.query("cursor")))),
  );

  portal.post("/portal/webhooks", allow("webhooks.manage"), async (c) => {
    const member = c.get("member");
    const form = await c.req.parseBody({ all: true });
    const url = typeof form.url === "string" ? form.url.trim() : "";
    const picked = ([] as unknown[]).concat(form.event_types ?? []).filter((t): t is EventType => typeof t === "string" && t in EVENT_TYPES);
    let refusal: string | null;
    try {
      refusal = url.length > 2000 ? "the URL is longer than 2000 characters" : webhookUrlRefusal(c.env, new URL(url).toString());
    } catch {
      refusal = "it is not a URL";
    }
    if (refusal) {
      const endpoints = await listEndpoints(database(c.env.DB), member, 25);
      return listPage(c, endpoints, { error: `The URL was refused: ${refusal}.`, url }, 422);
    }
    const description = typeof form.description === "string" && form.description.trim() ? form.description.trim().slice(0, 500) : null;
    const { endpoint, secret } = await createEndpoint(c.env, member, { url, description, eventTypes: picked.length > 0 ? picked : ["*"], enabled: true });
    auditMember(c, "webhook_endpoint.create", { type: "webhook_endpoint", id: endpoint.id });
    c.header("cache-control", "no-store");
    return detailPage(c, endpoint, { secret });
  });

  portal.get("/portal/webhooks/:id", allow("webhooks.view"), async (c) => {
    const endpoint = await endpointOf(c);
    if (!endpoint) return notFoundPage(c);
    const done = c.req.query("done");
    const messages: Record<string, string> = {
      ping: "A webhook.ping is on its way; reload to see its delivery.",
      redelivered: "The delivery is queued again, with the same webhook-id.",
      enabled: "The endpoint is enabled.",
      disabled: "The endpoint is disabled: it receives nothing until enabled.",
    };
    return detailPage(c, endpoint, { message: done ? messages[done] : undefined });
  });

  portal.post("/portal/webhooks/:id/ping", allow("webhooks.manage"), async (c) => {
    const endpoint = await endpointOf(c);
    if (!endpoint) return notFoundPage(c);
    if (!(await pingEndpoint(c.env, c.get("member").accountId, endpoint))) throw new ApiError("webhook.not_found");
    auditMember(c, "webhook_endpoint.ping", { type: "webhook_endpoint", id: endpoint.id });
    return c.redirect(`/portal/webhooks/${endpoint.id}?done=ping`, 303);
  });

  portal.post("/portal/webhooks/:id/rotate", allow("webhooks.manage"), async (c) => {
    const endpoint = await endpointOf(c);
    if (!endpoint) return notFoundPage(c);
    const rotated = await rotateEndpointSecret(c.env, c.get("member"), endpoint.id);
    if (!rotated) throw new ApiError("webhook.not_found");
    auditMember(c, "webhook_endpoint.rotate_secret", { type: "webhook_endpoint", id: endpoint.id });
    c.header("cache-control", "no-store");
    return detailPage(c, rotated.endpoint, { secret: rotated.secret, message: "The old secret keeps signing beside the new one for 24 hours." });
  });

  for (const [path, enabled] of [["enable", true], ["disable", false]] as const) {
    portal.post(`/portal/webhooks/:id/${path}`, allow("webhooks.manage"), async (c) => {
      const endpoint = await endpointOf(c);
      if (!endpoint) return notFoundPage(c);
      await updateEndpoint(database(c.env.DB), c.get("member"), endpoint.id, enabled ? { enabled, disabledReason: null } : { enabled });
      auditMember(c, "webhook_endpoint.update", { type: "webhook_endpoint", id: endpoint.id });
      return c.redirect(`/portal/webhooks/${endpoint.id}?done=${path}d`, 303);
    });
  }

  portal.post("/portal/webhooks/:id/delete", allow("webhooks.manage"), async (c) => {
    const endpoint = await endpointOf(c);
    if (!endpoint) return notFoundPage(c);
    await deleteEndpoint(database(c.env.DB), c.get("member"), endpoint.id);
    auditMember(c, "webhook_endpoint.delete", { type: "webhook_endpoint", id: endpoint.id });
    return c.redirect("/portal/webhooks?done=deleted", 303);
  });

  portal.post("/portal/webhooks/:id/deliveries/:delivery/redeliver", allow("webhooks.manage"), async (c) => {
    const endpoint = await endpointOf(c);
    if (!endpoint) return notFoundPage(c);
    const found = await findEndpointDelivery(database(c.env.DB), c.get("member").accountId, { endpointId: endpoint.id }, c.req.param("delivery"));
    if (!found) throw new ApiError("webhook.delivery_not_found");
    await redeliver(c.env, found);
    auditMember(c, "webhook_delivery.redeliver", { type: "webhook_delivery", id: c.req.param("delivery") });
    return c.redirect(`/portal/webhooks/${endpoint.id}?done=redelivered`, 303);
  });
}
