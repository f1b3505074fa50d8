/**
 * Recording an audit entry (issue 17 point 2). `recordAudit` returns at once: the work runs in
 * waitUntil, so recording never delays or fails the request it records. It is never lost either
 * (the events' outbox discipline): the intent is first written to the audit_outbox table, then handed
 * to the account's AuditLogObject, which appends it to the chain and deletes the outbox row in the same
 * D1 batch. An intent left in the outbox (the object was unreachable, the isolate died) is handed over
 * again by the cron (flushAuditOutbox), and the object skips intents already in the chain.
 */
import { log } from "../lib/log";
import { newId } from "../lib/ids";
import type { AuditAction, AuditActorType, AuditTargetType } from "./catalog";
import type { AuditIntent } from "./chain";

/** Where an entry is recorded from: the Worker's bindings and a way to keep work alive after the response. */
export interface AuditScope {
  env: Pick<Env, "DB" | "AUDIT_LOG">;
  waitUntil(work: Promise<unknown>): void;
  accountId: string;
  actor: { type: AuditActorType; id: string | null };
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export function auditLog(env: Pick<Env, "AUDIT_LOG">, accountId: string) {
  return env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(accountId));
}

export function recordAudit(scope: AuditScope, action: AuditAction, target: { type: AuditTargetType; id: string | null }): void {
  recordAudits(scope, action, [target]);
}

/**
 * One entry per target, all of one action (a list that shows several faxes' extracted data): written to the
 * outbox in one D1 batch and handed to the chain in one call, however many targets.
 */
export function recordAudits(scope: AuditScope, action: AuditAction, targets: { type: AuditTargetType; id: string | null }[]): void {
  if (targets.length === 0) return;
  const occurredAt = new Date().toISOString();
  const intents = targets.map(
    (target): AuditIntent => ({
      id: newId("aud"),
      occurred_at: occurredAt,
      actor: scope.actor,
      action,
      target,
      request_id: scope.requestId ?? null,
      ip: scope.ip ?? null,
      user_agent: scope.userAgent?.slice(0, 512) ?? null,
    }),
  );
  scope.waitUntil(deliver(scope.env, scope.accountId, intents));
}

async function deliver(env: AuditScope["env"], accountId: string, intents: AuditIntent[]): Promise<void> {
  const ids = intents.map((i) => i.id).join(",");
  try {
    const insert = env.DB.prepare("INSERT INTO audit_outbox (id, account_id, intent, created_at) VALUES (?, ?, ?, ?)");
    await env.DB.batch(intents.map((intent) => insert.bind(intent.id, accountId, JSON.stringify(intent), intent.occurred_at)));
  } catch (error) {
    // Still try the chain itself; only if both fail is the entry lost, and the log says which.
    log.error("audit outbox write failed", { account_id: accountId, audit_id: ids, error: String(error) });
  }
  try {
    await auditLog(env, accountId).append(accountId, intents);
  } catch (error) {
    log.warn("audit append failed; the cron retries from the outbox", { account_id: accountId, audit_id: ids, error: String(error) });
  }
}

/** Cron: hands intents older than `minAgeMs` that are still in the outbox to their chains again. */
export async function flushAuditOutbox(env: Pick<Env, "DB" | "AUDIT_LOG">, nowMs: number, minAgeMs = 30_000): Promise<number> {
  const rows = await env.DB.prepare("SELECT account_id, intent FROM audit_outbox WHERE created_at <= ? ORDER BY created_at, id LIMIT 500")
    .bind(new Date(nowMs - minAgeMs).toISOString())
    .all<{ account_id: string; intent: string }>();
  const byAccount = new Map<string, AuditIntent[]>();
  for (const row of rows.results) byAccount.set(row.account_id, [...(byAccount.get(row.account_id) ?? []), JSON.parse(row.intent) as AuditIntent]);
  let appended = 0;
  for (const [accountId, intents] of byAccount) {
    try {
      appended += (await auditLog(env, accountId).append(accountId, intents)).length;
    } catch (error) {
      log.error("audit outbox flush failed", { account_id: accountId, error: String(error) });
    }
  }
  return appended;
}
